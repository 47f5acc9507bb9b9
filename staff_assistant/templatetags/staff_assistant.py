"""Rendering stored answers: plain text with [n] markers linked to the cited revisions."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
_MARKER = re.compile(r"\[(\d{1,2})\]")


def safe_link(url: Any) -> str:
    """Only site-relative and http(s) links leave our hands."""
    url = str(url or "")
    if url.startswith("/") and not url.startswith("//"):
        return url
    if url.startswith(("https://", "http://")):
        return url
    return ""


@register.filter
def with_citations(text: str, sources: list[dict[str, Any]] | None) -> SafeString:
    """Plain answer text, HTML-escaped here, with [n] as links to source n."""
    plain = text or ""
    urls = {int(s.get("n") or 0): safe_link(s.get("url")) for s in (sources or [])}
    parts: list[str] = []
    position = 0
    for match in _MARKER.finditer(plain):
        parts.append(escape(plain[position : match.start()]))
        number = int(match.group(1))
        url = urls.get(number)
        if url:
            parts.append(
                format_html(
                    '<a class="cite" href="{}" target="_blank" rel="noopener">[{}]</a>', url, number
                )
            )
        else:
            parts.append(escape(match.group(0)))
        position = match.end()
    parts.append(escape(plain[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


@register.filter
def link(url: Any) -> str:
    return safe_link(url)
