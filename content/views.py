"""Public views of the knowledge base beyond Wagtail's own page serving."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from wagtail.models import Revision

from content.selectors import revision_was_published, user_can_read_article


def article_revision(request: HttpRequest, page: Any, revision_id: int) -> HttpResponse:
    """A page as it read in one published revision: where an answer's citation links.

    The live page's access check has already run (KnowledgeArticle.serve); the revision is
    checked again because its audience may have been stricter then than the page's is now.
    Drafts and revisions of other pages are 404s, exactly like pages that do not exist.
    """
    revision = (
        Revision.page_revisions.filter(pk=revision_id, object_id=str(page.pk))
        .select_related("user")
        .first()
    )
    if revision is None or not revision_was_published(page, revision):
        raise Http404
    cited = revision.as_object()
    if not user_can_read_article(getattr(request, "user", None), cited):
        raise Http404
    context = {
        "page": cited,
        "self": cited,
        "request": request,
        "cited_revision": revision,
        "is_current_revision": revision.pk == page.live_revision_id,
        "live_url": page.get_url(request=request),
    }
    return TemplateResponse(request, cited.get_template(request), context)
