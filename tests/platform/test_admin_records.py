"""Record inlines (tokens, turns, attempts, reviews…) are shown beside their parent, read-only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client as HttpClient

from bank_ai.admin_inlines import RecordInline
from devices.models import Device
from devices.services import device_token_issue

pytestmark = pytest.mark.django_db


def test_a_record_inline_shows_its_rows_without_inputs_or_an_add_row(
    admin_client: HttpClient,
) -> None:
    device = Device.objects.get(name="demo-kiosk")
    device_token_issue(device=device, label="shown read-only")
    page = admin_client.get(f"/admin/touchpoints/device/{device.pk}/change/").content.decode()
    assert "shown read-only" in page
    assert 'name="tokens-0-label"' not in page
    assert "tokens-empty" not in page


def test_every_record_inline_makes_each_listed_field_read_only() -> None:
    inlines = [
        inline_class
        for model_admin in admin.site._registry.values()
        for inline_class in model_admin.inlines
        if issubclass(inline_class, RecordInline)
    ]
    assert len(inlines) >= 10
    for inline_class in inlines:
        inline = inline_class(inline_class.model, admin.site)
        listed = set(inline.fields or ()) | set(inline.readonly_fields)
        assert listed, inline_class
        assert set(inline.get_readonly_fields(None)) == listed, inline_class
        assert not inline.has_add_permission(None), inline_class
        assert not inline.can_delete, inline_class
