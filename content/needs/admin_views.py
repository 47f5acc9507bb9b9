"""Wagtail admin pages for knowledge editors: customer-need clusters, and one-click FAQ drafts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from content.needs import selectors, services
from content.needs.models import NeedCluster

VIEW_PERMISSION = "needs.view_needcluster"
CHANGE_PERMISSION = "needs.change_needcluster"


class NeedClustersView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "needs/clusters.html"
    page_title = gettext_lazy("Customer needs")
    header_icon = "search"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        language = self.request.GET.get("language", "")
        if language not in {"", "zh-hans", "en"}:
            language = ""
        impact = selectors.drafted_pages_impact()
        for row in impact:
            row_url = reverse("wagtailadmin_pages:edit", args=[row.page_id]) if row.page_id else ""
            object.__setattr__(row, "edit_url", row_url)
        context.update(
            clusters=selectors.open_clusters(language=language)[:200],
            impact=impact,
            language=language,
            may_change=self.request.user.has_perm(CHANGE_PERMISSION),
        )
        return context


def clusters(request: HttpRequest) -> HttpResponse:
    return NeedClustersView.as_view()(request)


@require_POST
def cluster_draft(request: HttpRequest, cluster_id: int) -> HttpResponse:
    """One click: a FAQ draft with the cluster's questions as variants; opens it in the editor."""
    if not request.user.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied
    get_object_or_404(NeedCluster, pk=cluster_id)
    try:
        page = services.cluster_to_faq_draft(cluster_id=cluster_id, user=request.user)
    except services.NeedsError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("needs_clusters"))
    messages.success(
        request,
        _("FAQ draft “%(title)s” created: write its summary and answer.") % {"title": page.title},
    )
    return HttpResponseRedirect(reverse("wagtailadmin_pages:edit", args=[page.pk]))


@require_POST
def cluster_dismiss(request: HttpRequest, cluster_id: int) -> HttpResponse:
    if not request.user.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied
    get_object_or_404(NeedCluster, pk=cluster_id)
    services.cluster_dismiss(cluster_id=cluster_id)
    messages.success(request, _("Cluster dismissed."))
    return HttpResponseRedirect(reverse("needs_clusters"))
