"""Customer-need mining: unanswered questions clustered by meaning, FAQ drafts made from them,
and what those pages answered afterwards."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from bank_ai.ai.models import AnswerAudit
from content.models import FaqPage, QuestionHit
from content.needs.clustering import cluster_vectors
from content.needs.models import NeedCluster, NeedQuestion
from content.needs.selectors import drafted_pages_impact, open_clusters
from content.needs.services import NeedsError, cluster_to_faq_draft, needs_rebuild

CARD_ABROAD = ["信用卡能在日本刷吗", "信用卡可以在日本刷卡吗", "去日本能用信用卡刷卡吗"]
PET_LOAN = ["你们有宠物贷款吗", "可以申请宠物贷款吗"]


def test_similar_vectors_share_a_cluster_and_a_stranger_does_not() -> None:
    vectors = np.array([[1, 0, 0], [0.95, 0.31, 0], [0, 0, 1]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert cluster_vectors(vectors, [3, 1, 1], threshold=0.8) == [[0, 1], [2]]


def test_no_vectors_no_clusters() -> None:
    assert cluster_vectors(np.zeros((0, 3), dtype=np.float32), [], threshold=0.5) == []


def _audit(question: str, kind: str = "not_found", language: str = "zh-hans", **extra: object):  # noqa: ANN202
    return AnswerAudit.objects.create(
        channel=extra.pop("channel", "app"),
        language=language,
        masked_question=question,
        masked_answer="",
        answer_kind=kind,
        provider="local",
        latency_ms=5,
        **extra,
    )


@pytest.fixture
def unanswered(db) -> dict[str, list[AnswerAudit]]:  # noqa: ANN001
    return {
        "abroad": [_audit(q) for q in CARD_ABROAD] + [_audit(CARD_ABROAD[0], kind="clarify")],
        "pets": [_audit(q) for q in PET_LOAN],
        "answered": [_audit("信用卡能在日本刷吗", kind="generated")],
        "cms": [_audit("信用卡能在日本刷吗？", channel="cms")],
        "old": [_audit("信用卡能在日本刷吗", created_at=timezone.now() - timedelta(days=400))],
    }


@pytest.fixture
def editor():  # noqa: ANN201
    return get_user_model().objects.get(username="editor")


def test_unanswered_questions_are_clustered_by_meaning(unanswered) -> None:  # noqa: ANN001
    result = needs_rebuild()
    clusters = list(open_clusters())
    by_label = {c.label: c for c in clusters}
    abroad = by_label[CARD_ABROAD[0]]  # asked most often: the cluster's name
    assert abroad.size == 4
    assert set(abroad.examples) == set(CARD_ABROAD)
    assert set(NeedQuestion.objects.filter(cluster=abroad).values_list("audit_id", flat=True)) == {
        a.pk for a in unanswered["abroad"]
    }
    pets = next(c for c in clusters if c.label in PET_LOAN)
    assert pets.size == 2
    # Answered, editors' CMS trials and questions older than the window are not needs.
    assert result.questions == 6


def test_a_rebuild_replaces_open_clusters_and_keeps_drafted_ones(unanswered, editor) -> None:  # noqa: ANN001
    needs_rebuild()
    abroad = NeedCluster.objects.get(label=CARD_ABROAD[0])
    cluster_to_faq_draft(cluster_id=abroad.pk, user=editor)
    result = needs_rebuild()
    abroad.refresh_from_db()
    assert abroad.status == "drafted"
    assert result.kept == 1
    assert [c.label for c in open_clusters()] == [
        next(c.label for c in open_clusters() if c.label in PET_LOAN)
    ]


def test_one_click_makes_an_unpublished_faq_with_the_question_variants(unanswered, editor) -> None:  # noqa: ANN001
    needs_rebuild()
    cluster = NeedCluster.objects.get(label=CARD_ABROAD[0])
    page = cluster_to_faq_draft(cluster_id=cluster.pk, user=editor)
    page = FaqPage.objects.get(pk=page.pk)
    assert page.live is False
    assert page.title == CARD_ABROAD[0]
    assert set(page.question_variants()) == set(CARD_ABROAD)
    assert page.get_parent().specific.locale.language_code == "zh-hans"
    assert page.latest_revision is not None
    cluster.refresh_from_db()
    assert (cluster.status, cluster.page_id) == ("drafted", page.pk)
    with pytest.raises(NeedsError):
        cluster_to_faq_draft(cluster_id=cluster.pk, user=editor)


def test_someone_who_may_not_add_knowledge_pages_gets_no_draft(unanswered) -> None:  # noqa: ANN001
    needs_rebuild()
    cluster = NeedCluster.objects.get(label=CARD_ABROAD[0])
    employee = get_user_model().objects.get(username="employee")
    with pytest.raises(NeedsError):
        cluster_to_faq_draft(cluster_id=cluster.pk, user=employee)
    assert not FaqPage.objects.filter(title=CARD_ABROAD[0]).exists()


def test_the_pages_made_from_clusters_show_the_questions_they_answered_since(
    unanswered, editor
) -> None:  # noqa: ANN001
    needs_rebuild()
    cluster = NeedCluster.objects.get(label=CARD_ABROAD[0])
    page = cluster_to_faq_draft(cluster_id=cluster.pk, user=editor)
    before = timezone.now() - timedelta(days=1)
    for question, at in [("信用卡能在日本刷吗", None), ("在日本能刷卡吗", None), ("旧", before)]:
        audit = _audit(question, kind="curated")
        QuestionHit.objects.create(
            page_id=page.pk,
            audit=audit,
            question=question,
            question_key=question,
            language="zh-hans",
            channel="app",
            answer_kind="curated",
            **({"created_at": at} if at else {}),
        )
    impact = {row.page_id: row for row in drafted_pages_impact()}[page.pk]
    assert (impact.answered, impact.distinct_questions, impact.live) == (2, 2, False)


def test_the_clusters_page_lists_clusters_for_editors_only(client, unanswered, editor) -> None:  # noqa: ANN001
    needs_rebuild()
    client.force_login(editor)
    page = client.get("/cms/knowledge/needs/")
    assert page.status_code == 200
    assert CARD_ABROAD[0] in page.content.decode()
    client.force_login(get_user_model().objects.get(username="compliance"))
    assert client.get("/cms/knowledge/needs/").status_code in {302, 403}


def test_the_draft_button_opens_the_new_page_in_the_editor(client, unanswered, editor) -> None:  # noqa: ANN001
    needs_rebuild()
    cluster = NeedCluster.objects.get(label=CARD_ABROAD[0])
    client.force_login(editor)
    response = client.post(f"/cms/knowledge/needs/{cluster.pk}/draft/")
    cluster.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/cms/pages/{cluster.page_id}/edit/"
    editor_page = client.get(response["Location"])
    assert editor_page.status_code == 200
    assert f'value="{CARD_ABROAD[0]}"' in editor_page.content.decode()
    assert client.get(f"/cms/knowledge/needs/{cluster.pk}/draft/").status_code == 405


def test_questions_reach_the_clusters_masked(db) -> None:  # noqa: ANN001
    from bank_ai.ai.engine import AskContext, ask

    # Nothing in the knowledge base is about pets, so this stays unanswered whatever the
    # demo FAQ grows into (a branch question would now get the queue-ticket page).
    answer = ask(
        "宠物龟怎么做体检？我的手机13812345678", AskContext(language="zh-hans", channel="app")
    )
    if answer.kind not in {"not_found", "clarify"}:
        pytest.fail(f"expected an unanswered question, got {answer.kind}")
    _audit("宠物龟怎么做体检")
    needs_rebuild()
    stored = list(NeedQuestion.objects.values_list("question", flat=True))
    assert stored
    assert not any("13812345678" in q for q in stored)
    assert not any("13812345678" in e for c in NeedCluster.objects.all() for e in c.examples)


def test_the_command_prints_what_it_mined(unanswered, capsys) -> None:  # noqa: ANN001
    call_command("mine_needs")
    out = capsys.readouterr().out
    assert "open clusters" in out
    assert CARD_ABROAD[0] in out


def test_the_api_lists_open_clusters_most_asked_first(client, unanswered, editor) -> None:  # noqa: ANN001
    needs_rebuild()
    client.force_login(editor)
    rows = client.get("/api/knowledge/needs/?language=zh-hans").json()
    assert [row["label"] for row in rows][0] == CARD_ABROAD[0]
    assert rows[0]["size"] == 4
    assert set(rows[0]["examples"]) == set(CARD_ABROAD)
    assert client.get("/api/knowledge/needs/?language=fr").status_code == 400


def test_the_api_drafts_a_faq_once_and_reports_what_it_answered(client, unanswered, editor) -> None:  # noqa: ANN001
    needs_rebuild()
    cluster = NeedCluster.objects.get(label=CARD_ABROAD[0])
    client.force_login(editor)
    drafted = client.post(f"/api/knowledge/needs/{cluster.pk}/draft/")
    assert drafted.status_code == 201
    body = drafted.json()
    assert body["status"] == "drafted"
    assert body["edit_url"] == f"/cms/pages/{body['page_id']}/edit/"
    again = client.post(f"/api/knowledge/needs/{cluster.pk}/draft/")
    assert again.status_code == 400
    assert again.json()["error"] == "not_allowed_now"
    impact = client.get("/api/knowledge/needs/impact/").json()
    assert [(row["page_id"], row["answered"]) for row in impact] == [(body["page_id"], 0)]
    assert client.post("/api/knowledge/needs/999999/draft/").status_code == 404


def test_the_api_refuses_staff_without_the_needs_permission(client, unanswered) -> None:  # noqa: ANN001
    needs_rebuild()
    cluster = NeedCluster.objects.get(label=CARD_ABROAD[0])
    client.force_login(get_user_model().objects.get(username="agent"))
    assert client.get("/api/knowledge/needs/").status_code == 403
    assert client.post(f"/api/knowledge/needs/{cluster.pk}/dismiss/").status_code == 403
    cluster.refresh_from_db()
    assert cluster.status == "open"
