"""factory_boy factories for records the demo bank does not already provide."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from devices.models import Device
from scenarios.models import CardProduct, CardStatement, Customer, CustomerCard


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@harbourbank.example")
    password = factory.django.Password("correct horse battery staple")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    name = factory.Sequence(lambda n: f"test-device-{n}")
    kind = Device.Kind.KIOSK


def publish_article(
    page_class: type,
    *,
    language: str = "zh-hans",
    collection: str = "customer-service",
    audience: str = "public",
    **fields: object,
):  # noqa: ANN201
    """Create and publish a knowledge page under the language's index, like an editor would."""
    from content.models import KnowledgeCollection, KnowledgeIndexPage

    index = KnowledgeIndexPage.objects.get(locale__language_code=language)
    page = page_class(
        collection=KnowledgeCollection.objects.get(slug=collection), audience=audience, **fields
    )
    index.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def customer_with_card(
    *,
    customer_no: str,
    full_name: str = "Alex Test",
    language: str = "en",
    income_band: str = "60k-150k",
    product: str = "cashback-classic",
    last4: str = "7777",
    credit_limit: str = "20000",
    statement_day: int = 5,
) -> CustomerCard:
    """A new customer holding one active card of the demo catalogue's `product`."""
    customer = Customer.objects.create(
        customer_no=customer_no,
        full_name=full_name,
        preferred_language=language,
        birth_year=1988,
        id_last4="0000",
        mobile_masked="139****0000",
        income_band=income_band,
        created_at=timezone.now(),
    )
    return CustomerCard.objects.create(
        customer=customer,
        product=CardProduct.objects.get(code=product),
        bin="625588",
        last4=last4,
        status=CustomerCard.Status.ACTIVE,
        credit_limit=Decimal(credit_limit),
        statement_day=statement_day,
        opened_on=date(2025, 1, 1),
    )


def unpaid_statement(
    *,
    customer_no: str,
    full_name: str = "Alex Test",
    language: str = "en",
    last4: str = "7777",
    new_balance: str = "3210.50",
    minimum_payment: str = "321.05",
) -> CardStatement:
    """A new customer with an active cashback card whose statement falls due in ten days."""
    card = customer_with_card(
        customer_no=customer_no, full_name=full_name, language=language, last4=last4
    )
    today = timezone.localdate()
    return CardStatement.objects.create(
        card=card,
        period_start=today - timedelta(days=40),
        period_end=today - timedelta(days=10),
        due_date=today + timedelta(days=10),
        new_balance=Decimal(new_balance),
        minimum_payment=Decimal(minimum_payment),
    )
