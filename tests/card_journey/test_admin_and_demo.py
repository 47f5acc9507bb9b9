"""The application in the admin (status changes fill the history and the timeline) and the
demo bank's data for the card-use scenarios."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bank_ai.demo import customers as demo_customers
from scenarios.applications import ApplicationError, card_application_status_change
from scenarios.models import CardApplication, CardTransaction, Customer, CustomerCard
from tests.card_journey.conftest import Channel

pytestmark = pytest.mark.django_db


def _submitted() -> CardApplication:
    app = Channel()
    session_id = app.start("zh-hans")["id"]
    for text in ("我经常开车加油", "年收入20万", "年费无所谓", "对", "第一张", "好的"):
        app.say(session_id, text)
    application = CardApplication.objects.get(session_id=session_id)
    for doc in application.card.required_documents:
        if doc.get("required", True):
            app.upload(session_id, doc["code"], valid_until=date(2035, 1, 1))
    for text in ("都不需要", "我已阅读并同意", "确认提交"):
        app.say(session_id, text)
    application.refresh_from_db()
    assert application.status == "submitted"
    return application


def test_the_bank_moves_the_application_along_and_the_timeline_follows() -> None:
    application = _submitted()
    for status in ("in_review", "approved", "card_mailed"):
        card_application_status_change(application=application, to_status=status, actor="staff:ops")
    application.refresh_from_db()
    assert application.status == "card_mailed"
    assert list(application.history.values_list("to_status", flat=True)) == [
        "submitted",
        "in_review",
        "approved",
        "card_mailed",
    ]
    assert all(m.completed_at for m in application.milestones.all())


def test_an_impossible_status_change_is_refused() -> None:
    application = _submitted()
    with pytest.raises(ApplicationError, match="cannot go from submitted to card_mailed"):
        card_application_status_change(
            application=application, to_status="card_mailed", actor="staff:ops"
        )
    assert application.history.count() == 1


def test_the_admin_shows_the_application_and_runs_its_actions(client, demo_password) -> None:  # noqa: ANN001
    application = _submitted()
    assert client.login(username="admin", password=demo_password)
    page = client.get(f"/admin/scenarios/cardapplication/{application.pk}/change/")
    assert page.status_code == 200
    assert application.reference in page.content.decode()
    response = client.post(
        "/admin/scenarios/cardapplication/",
        {"action": "move_to_in_review", "_selected_action": [str(application.pk)]},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "in_review"
    for path in ("repaymentreminder", "customernotification", "businesscalendarday"):
        assert client.get(f"/admin/scenarios/{path}/").status_code == 200


def test_every_demo_card_has_an_unbilled_purchase_to_split_and_dated_statements() -> None:
    for card in CustomerCard.objects.filter(customer__customer_no__startswith="C2026"):
        latest = card.statements.order_by("-period_end").first()
        assert latest is not None
        assert latest.due_date > latest.period_end
        minimum = Decimal(card.product.instalment_terms.get("min_amount", "0"))
        since = datetime.combine(
            latest.period_end + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
        )
        assert CardTransaction.objects.filter(
            card=card, posted_at__gte=since, amount__gte=minimum
        ).exists(), card


def test_loading_the_demo_customers_again_adds_nothing() -> None:
    before = (Customer.objects.count(), CardTransaction.objects.count())
    demo_customers.seed(log=lambda line: None)
    assert (Customer.objects.count(), CardTransaction.objects.count()) == before


def test_the_app_may_identify_customers_and_the_kiosk_may_not() -> None:
    from devices.models import Device

    assert Device.objects.get(name="demo-app").capabilities.get("customer_identity") is True
    assert not Device.objects.get(name="demo-kiosk").capabilities.get("customer_identity")
