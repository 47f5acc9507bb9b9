"""Scoring finished conversations: when it happens, what it finds, and the supervisor's review."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from bank_ai.ai import runtime
from devices.models import Device
from scenarios import dialogue
from scenarios.models import DialogueSession
from scenarios.quality import selectors
from scenarios.quality.models import Criterion, Inspection, ScoreReview
from scenarios.quality.services import (
    ReviewError,
    inspection_run,
    score_appeal,
    score_override,
)
from scenarios.takeover import agent_say, takeover_end, takeover_start
from tests.fakes.anthropic_server import FakeAnthropicServer, reply
from tests.quality.conftest import build_session

pytestmark = pytest.mark.django_db

RUDE_PROMISE = [
    ("assistant", "您好，请问有什么可以帮您？"),
    ("customer", "这个理财产品会亏吗"),
    ("agent", "放心，保本保收益，你自己看去"),
    ("customer", "太差劲了，我要投诉"),
]
GOOD = [
    ("assistant", "您好，请问有什么可以帮您？"),
    ("customer", "我的卡丢了"),
    ("assistant", "请您先在App里临时挂失，谢谢"),
    ("customer", "好的，谢谢，解决了"),
]


def test_a_session_that_completes_in_the_engine_is_queued_and_scored(
    queued, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    app = Device.objects.get(name="demo-app")
    with django_capture_on_commit_callbacks(execute=True):
        session, _ = dialogue.session_start(
            scenario="after_sales", channel="app", language="zh-hans", device=app
        )
        for text in ["我的银行卡丢了怎么办", "对", "解决了，谢谢"]:
            dialogue.session_turn(session_id=session.pk, text=text)
        assert not queued  # still going: nothing scored yet
        result = dialogue.session_turn(session_id=session.pk, text="5分")
    assert result.status == DialogueSession.Status.COMPLETED
    assert queued == [("inspect_session_task", str(session.pk))]
    inspection = Inspection.objects.get(session=session)
    assert inspection.session_status == "completed"
    assert inspection.method == "rules"
    assert inspection.agent is None
    codes = {f.criterion_code for f in inspection.findings.all()}
    assert {"greeting", "resolution", "end_sentiment", "handling_time"} <= codes


def test_a_rolled_back_session_end_queues_nothing(
    queued, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    from scenarios import events

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                events.emit(events.SessionEnded(session_id="x", status="completed"))
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert queued == []


def test_handing_a_takeover_back_scores_the_agents_turns(
    queued, agent, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    session, _ = dialogue.session_start(
        scenario="super_teller",
        channel="vtm",
        language="zh-hans",
        device=Device.objects.get(name="demo-vtm"),
    )
    dialogue.session_turn(session_id=session.pk, text="我要转人工")
    takeover_start(session_id=session.pk, agent=agent)
    agent_say(session_id=session.pk, agent=agent, text="这款理财保本保收益，你自己看去")
    with django_capture_on_commit_callbacks(execute=True):
        takeover_end(session_id=session.pk, agent=agent)
    assert queued == [("inspect_session_task", str(session.pk))]
    inspection = Inspection.objects.get(session=session)
    assert inspection.agent == agent
    failed = {(f.criterion_code, f.turn_role) for f in inspection.findings.filter(passed=False)}
    assert ("forbidden_promises", "agent") in failed
    assert ("politeness", "agent") in failed


def test_the_score_weighs_failed_criteria_of_the_active_rubric() -> None:
    good = inspection_run(session_id=build_session(GOOD).pk)
    bad = inspection_run(
        session_id=build_session(RUDE_PROMISE, status=DialogueSession.Status.ABANDONED).pk
    )
    assert good.score == 100.0
    assert good.failed_criteria == 0
    failed = set(bad.findings.filter(passed=False).values_list("criterion_code", flat=True))
    assert failed == {
        "greeting",  # the agent's first words greet nobody
        "risk_disclosure",
        "forbidden_promises",
        "politeness",
        "end_sentiment",
        "resolution",
    }
    assert bad.score < 40


def test_a_criterion_made_inactive_in_the_admin_no_longer_counts() -> None:
    Criterion.objects.exclude(code="handling_time").update(is_active=False)
    inspection = inspection_run(session_id=build_session(RUDE_PROMISE).pk)
    assert inspection.score == 100.0
    assert set(inspection.findings.values_list("criterion_code", flat=True)) == {"handling_time"}


def test_rescoring_keeps_a_supervisors_override(supervisor) -> None:  # noqa: ANN001
    session = build_session(RUDE_PROMISE)
    inspection = inspection_run(session_id=session.pk)
    score_override(inspection_id=inspection.pk, actor=supervisor, score=75, reason="context")
    again = inspection_run(session_id=session.pk)
    assert (again.pk, again.score, again.auto_score) == (inspection.pk, 75.0, inspection.auto_score)


def test_offline_no_language_model_is_asked() -> None:
    inspection = inspection_run(session_id=build_session(GOOD).pk)
    assert inspection.method == "rules"
    assert inspection.llm_note == "offline: rules only"


@pytest.fixture
def fake_claude(settings):  # noqa: ANN001, ANN201
    servers: list[FakeAnthropicServer] = []

    def start(text: str) -> FakeAnthropicServer:
        server = FakeAnthropicServer([reply(text)])
        server.__enter__()
        settings.ANTHROPIC_API_KEY = server.api_key
        settings.ANTHROPIC_BASE_URL = server.base_url
        settings.LLM_TIMEOUT_SECONDS = 5
        runtime.get_llm.cache_clear()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)
    runtime.get_llm.cache_clear()


def test_with_a_remote_model_its_findings_join_the_rules(fake_claude) -> None:  # noqa: ANN001
    verdict = {
        "findings": [
            {"criterion": "politeness", "passed": False, "turn": 3, "note": "curt tone"},
            {"criterion": "made_up", "passed": False, "turn": 1, "note": "ignored"},
        ]
    }
    server = fake_claude(json.dumps(verdict))
    inspection = inspection_run(session_id=build_session(GOOD).pk)
    assert inspection.method == "rules+llm"
    llm = inspection.findings.get(source="llm")
    assert (llm.criterion_code, llm.passed, llm.turn_seq, llm.note) == (
        "politeness",
        False,
        3,
        "curt tone",
    )
    assert inspection.failed_criteria == 1
    sent = json.dumps(server.requests[-1].json, ensure_ascii=False)
    assert "[3] assistant: 请您先在App里临时挂失" in sent


def test_an_unreadable_model_reply_leaves_the_rules_alone(fake_claude) -> None:  # noqa: ANN001
    fake_claude("I think it was fine.")
    inspection = inspection_run(session_id=build_session(GOOD).pk)
    assert inspection.method == "rules"
    assert inspection.score == 100.0


def test_an_agent_appeals_and_a_supervisor_overrides_with_an_audit_trail(agent, supervisor) -> None:  # noqa: ANN001
    inspection = inspection_run(session_id=build_session(RUDE_PROMISE, agent=agent).pk)
    before = inspection.score
    score_appeal(inspection_id=inspection.pk, actor=agent, reason="the customer misheard")
    score_override(inspection_id=inspection.pk, actor=supervisor, score=60, reason="partly right")
    inspection.refresh_from_db()
    assert (inspection.score, inspection.review_state) == (60.0, "overridden")
    trail = list(
        inspection.reviews.values_list("action", "actor_name", "previous_score", "new_score")
    )
    assert trail == [
        ("appeal", agent.get_full_name(), before, before),
        ("override", supervisor.get_full_name(), before, 60.0),
    ]


def test_only_supervisors_override_and_always_with_a_reason(agent, supervisor) -> None:  # noqa: ANN001
    inspection = inspection_run(session_id=build_session(GOOD).pk)
    with pytest.raises(ReviewError):
        score_override(inspection_id=inspection.pk, actor=agent, score=10, reason="mine")
    with pytest.raises(ReviewError):
        score_override(inspection_id=inspection.pk, actor=supervisor, score=10, reason=" ")
    with pytest.raises(ReviewError):
        score_override(inspection_id=inspection.pk, actor=supervisor, score=101, reason="x")
    with pytest.raises(ReviewError):  # not their conversation
        score_appeal(inspection_id=inspection.pk, actor=agent, reason="unfair")
    assert not ScoreReview.objects.filter(inspection=inspection).exists()


def test_the_review_trail_refuses_changes_in_the_database(supervisor) -> None:  # noqa: ANN001
    inspection = inspection_run(session_id=build_session(GOOD).pk)
    review = score_override(inspection_id=inspection.pk, actor=supervisor, reason="fine")
    with pytest.raises(DatabaseError), transaction.atomic():
        ScoreReview.objects.filter(pk=review.pk).update(reason="edited")
    with pytest.raises(DatabaseError), transaction.atomic():
        ScoreReview.objects.filter(pk=review.pk).delete()


def test_review_reasons_are_masked(supervisor) -> None:  # noqa: ANN001
    inspection = inspection_run(session_id=build_session(GOOD).pk)
    review = score_override(
        inspection_id=inspection.pk, actor=supervisor, reason="客户手机13812345678已回访"
    )
    assert "13812345678" not in review.reason


def test_the_queue_puts_the_lowest_scores_first() -> None:
    good = inspection_run(session_id=build_session(GOOD).pk)
    bad = inspection_run(session_id=build_session(RUDE_PROMISE).pk)
    queue = list(selectors.review_queue())
    assert queue.index(bad) < queue.index(good)


def test_scorecards_count_average_and_failures_per_agent(agent) -> None:  # noqa: ANN001
    inspection_run(session_id=build_session(RUDE_PROMISE, agent=agent).pk)
    inspection_run(session_id=build_session(GOOD, agent=agent).pk)
    card = next(c for c in selectors.scorecards() if c.agent_id == agent.pk)
    scores = list(Inspection.objects.filter(agent=agent).values_list("score", flat=True))
    assert card.count == 2
    assert card.average == round(sum(scores) / 2, 1)
    assert card.failures["forbidden_promises"] == 1
    assert card.lowest == min(scores)


def test_the_backfill_scores_finished_and_idle_sessions_once(capsys) -> None:  # noqa: ANN001
    done = build_session(GOOD)
    idle = build_session(GOOD, status=DialogueSession.Status.ACTIVE, minutes_ago=120)
    live = build_session(GOOD, status=DialogueSession.Status.ACTIVE, minutes_ago=1)
    call_command("inspect_conversations", "--idle-minutes", "30")
    scored = set(Inspection.objects.values_list("session_id", flat=True))
    assert {done.pk, idle.pk} <= scored
    assert live.pk not in scored
    out = capsys.readouterr().out
    assert "scored" in out
    call_command("inspect_conversations", "--idle-minutes", "30")
    assert "scored                       0" in capsys.readouterr().out
    # The idle one goes on later: it changed since it was scored, so it is scored again.
    first = Inspection.objects.get(session=idle).scored_at
    done_scored = Inspection.objects.get(session=done).scored_at
    DialogueSession.objects.filter(pk=idle.pk).update(updated_at=timezone.now())
    call_command("inspect_conversations", "--idle-minutes", "0")
    assert Inspection.objects.get(session=idle).scored_at > first
    assert Inspection.objects.get(session=done).scored_at == done_scored


# ----------------------------------------------------------------------------- API


def _client(user) -> APIClient:  # noqa: ANN001
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_lists_scores_lowest_first_for_supervisors(supervisor) -> None:  # noqa: ANN001
    inspection_run(session_id=build_session(GOOD).pk)
    bad = inspection_run(session_id=build_session(RUDE_PROMISE).pk)
    response = _client(supervisor).get("/api/quality/inspections/")
    assert response.status_code == 200
    assert response.json()[0]["id"] == bad.pk
    detail = _client(supervisor).get(f"/api/quality/inspections/{bad.pk}/").json()
    assert any(
        f["criterion_code"] == "forbidden_promises" and not f["passed"] for f in detail["findings"]
    )


def test_without_the_permission_one_sees_only_ones_own_conversations(agent) -> None:  # noqa: ANN001
    from django.contrib.auth import get_user_model

    mine = inspection_run(session_id=build_session(RUDE_PROMISE, agent=agent).pk)
    other = inspection_run(session_id=build_session(GOOD).pk)
    employee = get_user_model().objects.get(username="employee")
    assert _client(employee).get("/api/quality/inspections/").json() == []
    assert _client(employee).get("/api/quality/scorecards/").status_code == 403
    assert [i["id"] for i in _client(agent).get("/api/quality/inspections/").json()] == [mine.pk]
    assert _client(agent).get(f"/api/quality/inspections/{other.pk}/").status_code == 404
    appeal = _client(agent).post(
        f"/api/quality/inspections/{mine.pk}/reviews/",
        {"action": "appeal", "reason": "the customer misheard"},
        format="json",
    )
    assert appeal.status_code == 201


def test_the_api_overrides_with_a_reason_and_rejects_bad_input(supervisor, agent) -> None:  # noqa: ANN001
    inspection = inspection_run(session_id=build_session(GOOD, agent=agent).pk)
    url = f"/api/quality/inspections/{inspection.pk}/reviews/"
    assert (
        _client(supervisor)
        .post(url, {"action": "override", "reason": "x"}, format="json")
        .status_code
        == 400
    )
    assert (
        _client(agent)
        .post(url, {"action": "override", "score": 5, "reason": "x"}, format="json")
        .status_code
        == 403
    )
    response = _client(supervisor).post(
        url, {"action": "override", "score": 55, "reason": "ok"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["new_score"] == 55.0
    assert _client(supervisor).get("/api/quality/inspections/?since=yesterday").status_code == 400


def test_the_api_serves_scorecards(supervisor, agent) -> None:  # noqa: ANN001
    inspection_run(session_id=build_session(RUDE_PROMISE, agent=agent).pk)
    cards = _client(supervisor).get("/api/quality/scorecards/").json()
    mine = next(c for c in cards if c["agent_id"] == agent.pk)
    assert mine["count"] == 1
    assert mine["failures"]["forbidden_promises"] == 1


# ----------------------------------------------------------------------------- admin


def test_the_review_page_highlights_failed_rules_on_their_turns(client, supervisor) -> None:  # noqa: ANN001
    inspection = inspection_run(session_id=build_session(RUDE_PROMISE).pk)
    client.force_login(supervisor)
    page = client.get(f"/admin/quality/inspection/{inspection.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    turn3 = html[html.index('data-seq="3"') : html.index('data-seq="4"')]
    assert "qa-turn-failed" in html[html.index('data-seq="3"') - 80 : html.index('data-seq="3"')]
    assert 'data-criterion="forbidden_promises"' in turn3


def test_a_supervisor_overrides_from_the_review_page(client, supervisor) -> None:  # noqa: ANN001
    inspection = inspection_run(session_id=build_session(RUDE_PROMISE).pk)
    client.force_login(supervisor)
    url = f"/admin/quality/inspection/{inspection.pk}/change/"
    response = client.post(url, {"action": "override", "score": "70", "reason": "agreed"})
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.score == 70.0
    missing = client.post(url, {"action": "override", "reason": "no score"})
    assert missing.status_code == 200
    assert 'class="errorlist' in missing.content.decode()
    inspection.refresh_from_db()
    assert inspection.score == 70.0


def test_scorecards_page_lists_agents(client, supervisor, agent) -> None:  # noqa: ANN001
    inspection_run(session_id=build_session(RUDE_PROMISE, agent=agent).pk)
    client.force_login(supervisor)
    page = client.get("/admin/quality/inspection/scorecards/")
    assert page.status_code == 200
    assert 'data-agent="agent"' in page.content.decode()
