"""Who may be answered from what: collections and their audiences, and the topic tags."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet

TOPIC_TAGS = [
    "credit-card",
    "debit-account",
    "app",
    "loan",
    "fx",
    "wealth",
    "branch",
    "vtm",
    "fees",
    "security",
    "activation",
    "repayment",
    "instalment",
    "application",
    "compliance",
    "aml",
    "privacy",
    "campaign",
    "anti-fraud",
    "complaints",
]
CHANNELS = [
    ("app", _("App")),
    ("branch", _("Branch")),
    ("vtm", _("VTM")),
    ("hotline", _("Hotline")),
    ("web", _("Web")),
]


class Audience(models.TextChoices):
    PUBLIC = "public", _("Public (customers and staff)")
    INTERNAL = "internal", _("Internal (all staff)")
    RESTRICTED = "restricted", _("Restricted (permitted groups only)")


@register_snippet
class KnowledgeCollection(models.Model):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    audience = models.CharField(_("audience"), max_length=12, choices=Audience.choices)
    description = models.TextField(_("description"), blank=True)

    panels = [
        FieldPanel("slug"),
        FieldPanel("name"),
        FieldPanel("audience"),
        FieldPanel("description"),
    ]

    class Meta:
        ordering = ["slug"]
        verbose_name = _("knowledge collection")
        verbose_name_plural = _("knowledge collections")
        permissions = [
            ("answer_from_collection", _("Can be answered from this collection")),
            ("ask_staff_assistant", _("Can ask the staff assistant")),
        ]

    def __str__(self) -> str:
        return self.name
