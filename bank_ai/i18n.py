"""Helpers for bilingual (zh-Hans / en) model fields.

Catalogue and branch records keep one column per language (`name_zh`, `name_en`) so operations
staff can edit both side by side in the admin; lists keep `{"zh-hans": [...], "en": [...]}`.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation

SUPPORTED = ("zh-hans", "en")
_SUFFIX = {"zh-hans": "zh", "en": "en"}


def normalise_language(language: str | None) -> str:
    """Map any Chinese or English language tag to one of SUPPORTED (zh-Hans is the default)."""
    tag = (language or translation.get_language() or "zh-hans").lower()
    return "en" if tag.startswith("en") else "zh-hans"


def localised(obj: Any, field: str, language: str | None = None) -> str:
    """obj.<field>_zh or obj.<field>_en, falling back to the other language when empty."""
    lang = normalise_language(language)
    value = getattr(obj, f"{field}_{_SUFFIX[lang]}", "")
    if value:
        return value
    other = "en" if lang == "zh-hans" else "zh-hans"
    return getattr(obj, f"{field}_{_SUFFIX[other]}", "")


def pick(mapping: dict[str, Any] | None, language: str | None = None, default: Any = "") -> Any:
    """mapping[language] from a {"zh-hans": ..., "en": ...} dict, falling back to the other."""
    if not mapping:
        return default
    lang = normalise_language(language)
    other = "en" if lang == "zh-hans" else "zh-hans"
    return mapping.get(lang) or mapping.get(other) or default
