"""Pre-sales in the app, end to end through the session API: describe → locate the business →
confirm → requirements and steps → guided steps with deep links → satisfaction."""

from __future__ import annotations

import pytest

from content.models import ProcessGuidePage
from scenarios.dialogue.app_service import parse_rating
from scenarios.models import DialogueSession, FunnelEvent
from tests.app_service.conftest import AppCustomer

pytestmark = pytest.mark.django_db
CARD = "6225881234567894"


def _outcomes(customer: AppCustomer, outcome: str) -> list[FunnelEvent]:
    return list(FunnelEvent.objects.filter(session_id=customer.session_id, outcome=outcome))


def test_a_customer_is_guided_in_chinese_from_their_need_to_a_rating(
    customer: AppCustomer,
) -> None:
    guide = ProcessGuidePage.objects.get(
        slug="guide-apply-credit-card-app", locale__language_code="zh-hans"
    )
    total = len(guide.steps)
    assert customer.start("pre_sales", "zh-hans")["step"] == "describe_need"

    located = customer.say("我想在手机上办一张信用卡")
    assert located["step"] == "confirm_module"
    assert "申请信用卡" in located["reply"]

    requirements = customer.say("对")
    assert requirements["step"] == "requirements"
    assert "本人有效二代居民身份证" in requirements["reply"]
    assert f"共{total}步" in requirements["reply"]
    assert requirements["sources"][0]["url"].endswith(f"/revisions/{guide.live_revision_id}/")
    assert customer.actions("show_requirements")[0]["module"] == "apply_credit_card"

    first = customer.say("好的，开始吧")
    assert first["step"] == "guide"
    assert "第1步" in first["reply"]
    assert customer.actions("deep_link")[0]["url"] == "harbourbank://login"
    second = customer.say("好了")
    assert customer.actions("deep_link")[0] == {
        "type": "deep_link",
        "url": "harbourbank://credit-card/apply",
        "label": guide.steps[1].value["title"],
        "step": 2,
        "of": total,
    }
    assert "第2步" in second["reply"]
    assert "第1步" in customer.say("上一步")["reply"]
    customer.say("好了")

    # A question mid-way is answered from knowledge without losing the place.
    side = customer.say("审批一般需要几个工作日？")
    assert side["step"] == "guide"
    assert side["sources"]
    assert "第2步" in side["reply"]

    for _ in range(2, total + 1):
        reply = customer.say("好了")
    assert reply["step"] == "satisfaction"
    assert customer.actions("rating") == [{"type": "rating", "scale": [1, 5]}]

    closing = customer.say("5分，步骤很清楚")
    assert closing["status"] == DialogueSession.Status.COMPLETED
    assert customer.session.memory["satisfaction"] == {"score": 5, "comment": "步骤很清楚"}
    assert [e.detail["n"] for e in _outcomes(customer, "guide_step_done")][-total:] == list(
        range(1, total + 1)
    )
    assert _outcomes(customer, "rated")[0].detail["score"] == 5
    closed = _outcomes(customer, "service_closed")[0].detail
    assert closed["result"] == "completed"
    assert closed["handling_seconds"] >= 0
    assert _outcomes(customer, "completed")


def test_an_english_customer_is_guided_through_the_app_with_taps(customer: AppCustomer) -> None:
    guide = ProcessGuidePage.objects.get(
        slug="guide-foreign-currency-purchase", locale__language_code="en"
    )
    customer.start("pre_sales", "en")
    located = customer.say("I need to buy some US dollars for my trip")
    assert located["step"] == "confirm_module"
    assert "Buy foreign currency" in located["reply"]

    assert customer.tap("confirm", step="confirm_module")["step"] == "requirements"
    assert "Your valid ID" in customer.last["reply"]
    assert customer.tap("start_guide", step="requirements")["step"] == "guide"
    for n in range(1, len(guide.steps) + 1):
        assert customer.actions("deep_link")[0]["step"] == n
        customer.tap("step_done", step="guide")
    assert customer.last["step"] == "satisfaction"
    assert customer.actions("deep_link") == []
    assert customer.last["reply"].startswith("That's every step done!")

    customer.tap("rate", step="satisfaction", score=4, comment="Clear steps")
    assert customer.last["status"] == "completed"
    assert customer.session.memory["satisfaction"] == {"score": 4, "comment": "Clear steps"}
    assert customer.session.language == "en"


def test_the_last_step_of_the_fx_guide_links_to_the_foreign_currency_account(
    customer: AppCustomer,
) -> None:
    customer.start("pre_sales", "en")
    customer.say("buy foreign currency")
    customer.say("yes")
    customer.say("ok")
    for _ in range(5):
        customer.say("done")
    assert customer.actions("deep_link")[0]["url"] == "harbourbank://accounts/foreign-currency"


def test_a_correction_after_no_is_located_again(customer: AppCustomer) -> None:
    customer.start("pre_sales", "zh-hans")
    assert "自动还款" in customer.say("我想开通自动还款")["reply"]
    corrected = customer.say("不是，我想申请账单分期")
    assert corrected["step"] == "confirm_module"
    assert "账单分期" in corrected["reply"]
    assert customer.session.memory["chosen"]["key"] == "bill_instalment"


def test_no_offers_the_other_matches_to_pick_by_number(customer: AppCustomer) -> None:
    customer.start("pre_sales", "zh-hans")
    customer.say("我想在手机上办一张信用卡")
    others = customer.session.memory["candidates"][1:]
    assert others
    offered = customer.say("不对")
    assert customer.actions("options")[0]["options"] == others
    assert others[0]["title"] in offered["reply"]
    customer.say("第一个")
    assert customer.session.memory["chosen"]["key"] == others[0]["key"]
    assert customer.last["step"] == "requirements"


def test_a_need_the_app_does_not_serve_is_asked_again_then_handed_over(
    customer: AppCustomer,
) -> None:
    customer.start("pre_sales", "zh-hans")
    again = customer.say("今天天气怎么样")
    assert again["step"] == "describe_need"
    assert "换个说法" in again["reply"]
    assert customer.session.status == DialogueSession.Status.ACTIVE
    customer.say("明天会不会下雨呢")
    assert customer.session.status == DialogueSession.Status.HANDED_OVER
    assert len(_outcomes(customer, "not_located")) == 2


def test_stopping_before_the_guide_goes_straight_to_the_rating(customer: AppCustomer) -> None:
    customer.start("pre_sales", "zh-hans")
    customer.say("我想提前还房贷")
    customer.say("对")
    stopped = customer.say("以后再说")
    assert stopped["step"] == "satisfaction"
    customer.say("跳过")
    assert customer.session.status == DialogueSession.Status.COMPLETED
    assert _outcomes(customer, "guide_declined")
    assert _outcomes(customer, "rating_skipped")


def test_a_stale_tap_on_a_guide_step_is_refused(customer: AppCustomer) -> None:
    customer.start("pre_sales", "en")
    customer.say("set up automatic repayment")
    customer.say("yes")
    customer.say("ok")
    response = customer.client.post(
        f"/api/sessions/{customer.session_id}/events/",
        {"name": "step_done", "step": "guide", "data": {"step": 3}},
        format="json",
    )
    assert response.status_code == 409
    assert customer.session.memory["guide_step"] == 1


@pytest.mark.parametrize("score", [0, 6, "5", True])
def test_a_rating_outside_one_to_five_is_refused(customer: AppCustomer, score: object) -> None:
    customer.start("pre_sales", "en")
    customer.say("pay off my mortgage early")
    customer.say("yes")
    customer.say("stop")
    customer.tap("rate", step="satisfaction", expect=409, score=score)
    assert customer.session.current_step == "satisfaction"
    assert "satisfaction" not in customer.session.memory


def test_the_rating_comment_is_stored_masked(customer: AppCustomer) -> None:
    customer.start("pre_sales", "zh-hans")
    customer.say("我想提前还房贷")
    customer.say("对")
    customer.say("以后再说")
    customer.say(f"4分，卡号{CARD}用着挺好")
    stored = customer.session.memory["satisfaction"]
    assert stored["score"] == 4
    assert CARD not in stored["comment"]
    assert CARD not in str(_outcomes(customer, "rated")[0].detail)


def test_an_unclear_rating_is_asked_for_again(customer: AppCustomer) -> None:
    customer.start("pre_sales", "en")
    customer.say("pay off my mortgage early")
    customer.say("yes")
    customer.say("stop")
    again = customer.say("hmm")
    assert again["step"] == "satisfaction"
    assert "1 to 5" in again["reply"]


@pytest.mark.parametrize(
    ("words", "score", "comment"),
    [
        ("5分，很方便", 5, "很方便"),
        ("四星", 4, ""),
        ("四分", 4, ""),
        ("3", 3, ""),
        ("Four stars, clear steps", 4, "clear steps"),
        ("2 - too slow", 2, "too slow"),
        ("非常满意", 5, "非常满意"),
        ("不满意，等太久了", 2, "不满意，等太久了"),
        ("excellent service", 5, "excellent service"),
        ("no idea", None, "no idea"),
        ("等了15分钟", None, "等了15分钟"),
    ],
)
def test_ratings_are_read_from_what_customers_say(
    words: str, score: int | None, comment: str
) -> None:
    assert parse_rating(words) == (score, comment)


def test_naming_another_journey_while_describing_stays_in_pre_sales(
    customer: AppCustomer,
) -> None:
    # "激活" triggers the card activation journey elsewhere; here it is the description.
    customer.start("pre_sales", "zh-hans")
    located = customer.say("收到新卡了，想激活一下")
    assert located["step"] == "confirm_module"
    assert customer.session.flow.code == "pre_sales"
    assert customer.session.memory["chosen"]["key"] == "activate_card"
