"""Background work of the AI core and how the admin starts it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_q.models import OrmQ

from bank_ai.ai.models import IndexingRun, Intent
from bank_ai.ai.tasks import indexing_run_enqueue, reindex_knowledge_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_client(demo_password: str) -> Client:
    client = Client()
    assert client.login(username="ops", password=demo_password)
    return client


def test_the_reindex_task_records_its_progress() -> None:
    run = IndexingRun.objects.create(reason="test")
    result = reindex_knowledge_task(run.pk)
    run.refresh_from_db()
    assert run.status == IndexingRun.Status.DONE
    assert run.progress == 1.0
    assert result["pages"] == run.pages_total > 0
    assert run.finished_at is not None


def test_starting_a_reindex_queues_it_for_the_cluster() -> None:
    before = OrmQ.objects.count()
    run = indexing_run_enqueue(reason="test")
    assert run.status == IndexingRun.Status.QUEUED
    assert OrmQ.objects.count() == before + 1


def test_operations_can_start_a_reindex_from_the_admin(ops_client: Client) -> None:
    before = OrmQ.objects.count()
    response = ops_client.post("/admin/ai/indexingrun/add/", {"reason": "after a big edit"})
    assert response.status_code == 302
    assert IndexingRun.objects.filter(reason="after a big edit").exists()
    assert OrmQ.objects.count() == before + 1


def test_the_retrain_action_in_the_admin_queues_training(ops_client: Client) -> None:
    before = OrmQ.objects.count()
    intent = Intent.objects.get(code="card_activate")
    response = ops_client.post(
        "/admin/ai/intent/", {"action": "retrain", "_selected_action": [intent.pk]}
    )
    assert response.status_code == 302
    assert OrmQ.objects.count() == before + 1


def test_the_audit_is_read_only_in_the_admin(demo_password: str) -> None:
    client = Client()
    client.login(username="compliance", password=demo_password)
    assert client.get("/admin/ai/answeraudit/").status_code == 200
    assert client.get("/admin/ai/answeraudit/add/").status_code == 403
    assert get_user_model().objects.get(username="compliance").has_perm("ai.view_answeraudit")


def test_the_page_task_indexes_a_live_page_and_drops_an_unpublished_one() -> None:
    from bank_ai.ai.models import KnowledgeChunk
    from bank_ai.ai.tasks import index_page_task
    from content.models import FaqPage

    page = FaqPage.objects.get(slug="faq-card-activation", locale__language_code="en")
    KnowledgeChunk.objects.filter(page_id=page.pk).delete()
    assert index_page_task(page.pk)["written"] > 0
    page.unpublish()
    assert index_page_task(page.pk)["removed"] > 0
    assert not KnowledgeChunk.objects.filter(page_id=page.pk).exists()


def test_publishing_from_the_cms_queues_indexing(
    demo_password: str, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    from content.models import FaqPage

    client = Client()
    assert client.login(username="admin", password=demo_password)
    page = FaqPage.objects.get(slug="faq-card-activation", locale__language_code="en")
    before = OrmQ.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/cms/pages/{page.pk}/unpublish/", {"include_descendants": ""})
    assert response.status_code == 302
    assert OrmQ.objects.count() == before + 1
