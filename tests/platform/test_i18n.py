from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_pages_default_to_simplified_chinese(client: Client) -> None:
    html = client.get("/").content.decode()
    assert 'lang="zh-hans"' in html
    assert "海港银行数字人管理后台" in html


def test_the_language_switch_turns_pages_english(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert 'lang="en"' in html
    assert "Harbour Bank digital human back office" in html


def test_the_admin_login_page_offers_the_language_switch(client: Client) -> None:
    html = client.get("/admin/login/").content.decode()
    assert 'action="/i18n/setlang/"' in html


def test_knowledge_pages_are_served_per_locale(client: Client) -> None:
    zh = client.get("/zh-hans/kb/faq-annual-fee-waiver/")
    en = client.get("/en/kb/faq-annual-fee-waiver/")
    assert zh.status_code == 200
    assert en.status_code == 200
    assert "年费" in zh.content.decode()
    assert "annual fee" in en.content.decode().lower()
