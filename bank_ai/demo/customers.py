"""Demo customers with accounts, cards, six months of card spending and statements.

Generated from a fixed seed so every machine gets the same bank; each customer follows a
spending persona (traveller, foodie, online shopper, car owner, student, business owner...)
so bill analysis and benefit matching have real patterns to find.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from scenarios.branches.models import Branch
from scenarios.models import (
    Account,
    CardProduct,
    CardStatement,
    CardTransaction,
    Customer,
    CustomerCard,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")

MERCHANTS: dict[str, list[str]] = {
    "dining": [
        "海底捞火锅",
        "Starbucks 星巴克",
        "外婆家",
        "喜茶 HEYTEA",
        "海港大酒楼",
        "麦当劳",
        "Blue Frog Bar & Grill",
        "点都德",
    ],
    "groceries": ["盒马鲜生", "永辉超市", "Ole' 精品超市", "山姆会员商店"],
    "online_shopping": ["京东 JD.com", "天猫 Tmall", "拼多多", "唯品会", "Apple Store 在线"],
    "travel": ["携程旅行 Trip.com", "飞猪旅行", "12306 铁路客服"],
    "airline": ["海鸥航空 Sea Gull Airlines", "东方航空", "南方航空"],
    "hotel": ["万豪酒店 Marriott", "全季酒店", "亚朵酒店"],
    "fuel": ["中国石化加油站", "中国石油加油站", "壳牌加油站"],
    "tolls": ["粤通卡 ETC 通行费", "沪通卡 ETC 通行费"],
    "entertainment": ["万达影城", "腾讯视频会员", "大麦网演出", "网易云音乐"],
    "education": ["新东方在线", "知乎盐选", "英语流利说", "大学书店"],
    "health_beauty": ["屈臣氏", "丝芙兰 SEPHORA", "美年大健康", "一心堂药房"],
    "utilities": ["国家电网电费", "中国移动话费", "燃气费代缴"],
    "transport": ["滴滴出行", "地铁乘车码", "高德打车"],
    "overseas": ["DFS Singapore", "Uniqlo Tokyo", "Marina Bay Sands", "Amazon.com"],
    "other": ["顺丰速运", "宠物医院", "花店"],
}

# persona -> (category weights, monthly spend range in RMB, card product code)
PERSONAS: dict[str, tuple[dict[str, int], tuple[int, int], str]] = {
    "traveller": (
        {
            "travel": 4,
            "airline": 5,
            "hotel": 4,
            "overseas": 3,
            "dining": 3,
            "transport": 2,
            "online_shopping": 1,
        },
        (9000, 20000),
        "travel-platinum",
    ),
    "foodie": (
        {"dining": 8, "groceries": 3, "entertainment": 2, "transport": 2, "online_shopping": 2},
        (4000, 9000),
        "dining-gold",
    ),
    "shopper": (
        {"online_shopping": 8, "groceries": 2, "dining": 2, "health_beauty": 2, "utilities": 1},
        (3000, 8000),
        "cashback-classic",
    ),
    "car_owner": (
        {"fuel": 6, "tolls": 4, "dining": 2, "groceries": 2, "utilities": 1},
        (4000, 8000),
        "car-etc",
    ),
    "student": (
        {"education": 5, "dining": 3, "online_shopping": 3, "entertainment": 3, "transport": 2},
        (800, 2500),
        "student-youth",
    ),
    "business": (
        {"travel": 3, "hotel": 3, "dining": 4, "airline": 2, "utilities": 2, "other": 2},
        (15000, 40000),
        "business-gold",
    ),
    "wellness": (
        {"health_beauty": 6, "dining": 3, "online_shopping": 3, "entertainment": 1},
        (3000, 7000),
        "women-rose",
    ),
    "frequent_flyer": (
        {"airline": 7, "hotel": 3, "overseas": 2, "dining": 2, "transport": 1},
        (10000, 25000),
        "airline-cobrand",
    ),
}

NAMES = [
    ("张伟", "traveller", "150k-500k"),
    ("王芳", "wellness", "60k-150k"),
    ("李娜", "shopper", "60k-150k"),
    ("刘洋", "car_owner", "150k-500k"),
    ("陈静", "foodie", "60k-150k"),
    ("杨帆", "student", "lt60k"),
    ("赵磊", "business", "gt500k"),
    ("黄敏", "frequent_flyer", "150k-500k"),
    ("周杰", "car_owner", "60k-150k"),
    ("吴婷", "wellness", "150k-500k"),
    ("徐明", "traveller", "gt500k"),
    ("孙悦", "student", "lt60k"),
    ("马超", "business", "150k-500k"),
    ("朱丽", "foodie", "150k-500k"),
    ("胡军", "shopper", "lt60k"),
    ("郭晶", "frequent_flyer", "gt500k"),
    ("林晓", "shopper", "60k-150k"),
    ("何强", "car_owner", "150k-500k"),
    ("Emily Chen", "traveller", "150k-500k"),
    ("David Wong", "business", "gt500k"),
    ("Sophie Li", "foodie", "60k-150k"),
    ("Michael Zhang", "student", "lt60k"),
    ("Olivia Huang", "wellness", "150k-500k"),
    ("James Liu", "frequent_flyer", "gt500k"),
]
MONTHS = 6
# One large purchase per persona in the current (unbilled) cycle: what instalment offers split.
BIG_PURCHASES: dict[str, tuple[str, str, str]] = {
    "traveller": ("travel", "携程旅行 Trip.com", "8650.00"),
    "foodie": ("online_shopping", "京东 JD.com", "3299.00"),
    "shopper": ("online_shopping", "Apple Store 在线", "5999.00"),
    "car_owner": ("fuel", "中国石化加油站", "1200.00"),
    "student": ("education", "新东方在线", "1680.00"),
    "business": ("hotel", "万豪酒店 Marriott", "12800.00"),
    "wellness": ("health_beauty", "美年大健康", "2680.00"),
    "frequent_flyer": ("airline", "海鸥航空 Sea Gull Airlines", "7420.00"),
}


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _luhn_last_digit(partial: str) -> str:
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return str((10 - total % 10) % 10)


def _statement_dates(today: date, statement_day: int) -> list[date]:
    """The last MONTHS statement dates on statement_day, oldest first."""
    dates = []
    year, month = today.year, today.month
    if today.day <= statement_day:
        month -= 1
    for _ in range(MONTHS):
        if month == 0:
            year, month = year - 1, 12
        dates.append(date(year, month, statement_day))
        month -= 1
    return sorted(dates)


@transaction.atomic
def seed(log: Callable[[str], None]) -> dict[str, int]:
    rng = random.Random(95500)  # fixed seed: the same demo bank everywhere
    branches = list(Branch.objects.order_by("code"))
    products = {p.code: p for p in CardProduct.objects.all()}
    today = timezone.localdate()
    new_customers = 0
    transactions = 0
    for number, (name, persona, income_band) in enumerate(NAMES, start=1):
        customer_no = f"C{202600000 + number}"
        weights, spend_range, product_code = PERSONAS[persona]
        # Draw every random value even for existing customers so later ones stay identical.
        draws = {
            "birth_year": rng.randint(1970, 2003)
            if persona != "student"
            else rng.randint(2003, 2007),
            "id_last4": f"{rng.randint(0, 9999):04d}",
            "mobile": f"1{rng.choice('3589')}{rng.randint(0, 9)}****{rng.randint(0, 9999):04d}",
            "balance": _money(rng.uniform(2000, 300000)),
            "statement_day": rng.choice([5, 10, 15, 20, 25]),
            "account_last4": f"{rng.randint(0, 9999):04d}",
            "card_body": "".join(str(rng.randint(0, 9)) for _ in range(9)),
        }
        existing = Customer.objects.filter(customer_no=customer_no).first()
        if existing is not None:
            transactions += _current_cycle(existing, persona, today)
            continue
        language = "en" if name.isascii() else "zh-hans"
        opened = today - timedelta(days=rng.randint(400, 3000))
        customer = Customer.objects.create(
            customer_no=customer_no,
            full_name=name,
            preferred_language=language,
            birth_year=draws["birth_year"],
            id_last4=draws["id_last4"],
            mobile_masked=draws["mobile"],
            income_band=income_band,
            segment=persona,
            home_branch=branches[number % len(branches)] if branches else None,
            created_at=datetime.combine(opened, time(10), tzinfo=SHANGHAI),
        )
        Account.objects.create(
            customer=customer,
            kind=Account.Kind.TYPE_I,
            last4=draws["account_last4"],
            balance=draws["balance"],
            opened_on=opened,
        )
        product = products.get(product_code)
        if product is None:
            continue
        bin_prefix = "625588"
        partial = bin_prefix + draws["card_body"]
        last4 = (partial + _luhn_last_digit(partial))[-4:]
        # Limits are drawn within the product's range, in steps of RMB 1,000.
        low, high = int(product.credit_limit_min), int(product.credit_limit_max)
        limit = Decimal(rng.randrange(low, high + 1, 1000) if high > low else low)
        card = CustomerCard.objects.create(
            customer=customer,
            product=product,
            bin=bin_prefix,
            last4=last4,
            status=CustomerCard.Status.ACTIVE,
            credit_limit=limit,
            statement_day=draws["statement_day"],
            opened_on=opened + timedelta(days=30),
            activated_on=opened + timedelta(days=35),
        )
        statement_dates = _statement_dates(today, card.statement_day)
        period_start = statement_dates[0] - timedelta(days=30)
        batch: list[CardTransaction] = []
        categories = list(weights)
        category_weights = [weights[c] for c in categories]
        for statement_date in statement_dates:
            monthly_budget = rng.uniform(*spend_range)
            spent = 0.0
            total = Decimal("0")
            days = (statement_date - period_start).days
            while spent < monthly_budget:
                category = rng.choices(categories, category_weights)[0]
                amount = _money(max(8.0, rng.lognormvariate(4.6, 0.9)))
                if category in {"airline", "hotel", "overseas"}:
                    amount = _money(float(amount) * rng.uniform(3, 8))
                spent += float(amount)
                day = period_start + timedelta(days=rng.randrange(max(days, 1)))
                posted = datetime.combine(
                    day, time(rng.randint(8, 22), rng.randint(0, 59)), tzinfo=SHANGHAI
                )
                batch.append(
                    CardTransaction(
                        card=card,
                        posted_at=posted,
                        amount=amount,
                        merchant=rng.choice(MERCHANTS[category]),
                        category=category,
                        currency="CNY",
                    )
                )
                total += amount
            minimum = max(Decimal("100"), (total * Decimal("0.10")).quantize(CENT))
            paid = total if rng.random() < 0.8 else minimum
            due = statement_date + timedelta(days=card.grace_days)
            CardStatement.objects.create(
                card=card,
                period_start=period_start,
                period_end=statement_date,
                due_date=due,
                new_balance=total,
                minimum_payment=min(minimum, total),
                paid_amount=paid if due < today else Decimal("0"),
            )
            period_start = statement_date + timedelta(days=1)
        CardTransaction.objects.bulk_create(batch, batch_size=1000)
        transactions += len(batch) + _current_cycle(customer, persona, today)
        new_customers += 1
    log(f"customers: {len(NAMES)} ({new_customers} new, {transactions} card transactions)")
    return {"customers": len(NAMES), "transactions": transactions}


def _current_cycle(customer: Customer, persona: str, today: date) -> int:
    """Purchases since the last statement, one of them large enough to split into instalments.

    Added once (to customers loaded before this existed too): a card that already has a
    purchase after its latest statement is left as it is. Its own random generator keeps the
    rest of the demo bank identical.
    """
    created = 0
    for card in customer.cards.select_related("product"):
        latest = card.statements.order_by("-period_end").first()
        start = latest.period_end + timedelta(days=1) if latest else today - timedelta(days=20)
        since = datetime.combine(start, time.min, tzinfo=SHANGHAI)
        if start > today or card.transactions.filter(posted_at__gte=since).exists():
            continue
        rng = random.Random(f"current-cycle-{customer.customer_no}-{card.last4}")
        weights, _, _ = PERSONAS[persona]
        categories = list(weights)
        days = max((today - start).days, 1)
        batch = []
        for _ in range(rng.randint(4, 9)):
            category = rng.choices(categories, [weights[c] for c in categories])[0]
            day = start + timedelta(days=rng.randrange(days))
            batch.append(
                CardTransaction(
                    card=card,
                    posted_at=datetime.combine(day, time(rng.randint(8, 21), 0), tzinfo=SHANGHAI),
                    amount=_money(max(8.0, rng.lognormvariate(4.4, 0.8))),
                    merchant=rng.choice(MERCHANTS[category]),
                    category=category,
                )
            )
        category, merchant, amount = BIG_PURCHASES[persona]
        batch.append(
            CardTransaction(
                card=card,
                posted_at=min(
                    datetime.combine(start, time(9, 15), tzinfo=SHANGHAI), timezone.now()
                ),
                amount=Decimal(amount),
                merchant=merchant,
                category=category,
            )
        )
        CardTransaction.objects.bulk_create(batch)
        created += len(batch)
    return created
