"""Every admin page a superuser can reach on the demo bank renders: each model's list, its
add form and the change form of one of its rows, in both languages (the admin index's entry
for the dashboards was a 404 until this walked it); the start page links the staff's pages."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db


def _admin_pages() -> list[tuple[str, type[Model]]]:
    return sorted(
        (
            (f"{model._meta.app_label}.{model._meta.model_name}", model)
            for model in admin.site._registry
        ),
        key=lambda item: item[0],
    )


def _url(model: type[Model], view: str, *args: object) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_admin_list_add_and_change_page_renders(admin_client: Client, language: str) -> None:
    admin_client.cookies["django_language"] = language
    broken: list[str] = []
    for label, model in _admin_pages():
        pages = [("list", _url(model, "changelist")), ("add", _url(model, "add"))]
        row = model._default_manager.order_by("pk").first()
        if row is not None:
            pages.append(("change", _url(model, "change", row.pk)))
        for kind, url in pages:
            if url is None:
                continue
            # Some entries open another page (the roll-ups open the dashboards, a script its
            # studio page): that page must render. Only an add form may be refused (403):
            # records the admin lists read-only have none.
            response = admin_client.get(url, follow=True)
            allowed = (200, 403) if kind == "add" else (200,)
            if response.status_code not in allowed:
                broken.append(f"{label} {kind} {url} -> {response.status_code}")
    assert broken == [], "\n".join(broken)


def test_the_start_page_links_the_dashboards_studio_quality_and_campaigns(
    admin_client: Client,
) -> None:
    html = admin_client.get("/").content.decode()
    links = [
        reverse("analytics-index"),
        reverse("admin:content_videoscript_changelist"),
        reverse("admin:quality_inspection_changelist"),
        reverse("admin:outbound_campaign_changelist"),
    ]
    for link in links:
        assert f'href="{link}"' in html
        assert admin_client.get(link).status_code == 200
    assert "视频工作室" in html


def test_the_favicon_is_the_banks_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith(".svg")
