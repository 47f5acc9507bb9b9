"""Who may read which knowledge."""

from __future__ import annotations

from typing import Any

from content.models import Audience


def user_can_read_article(user: Any, article: Any) -> bool:
    """Public pages for everyone; internal ones for staff; restricted ones per collection.

    Restricted collections are granted to groups with django-guardian's object permission
    `content.answer_from_collection`, the same permission the assistant's retrieval honours.
    """
    if article.audience == Audience.PUBLIC:
        return True
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if article.audience == Audience.INTERNAL:
        return user.has_perm("content.ask_staff_assistant")
    return user.has_perm("content.answer_from_collection", article.collection)
