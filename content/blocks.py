"""StreamField blocks for knowledge pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks


class QuestionBlock(blocks.CharBlock):
    class Meta:
        icon = "help"
        label = _("Question variant")
        help_text = _("One way a customer or colleague would ask this; used to match questions.")


class StepBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120, help_text=_("Short imperative title of the step."))
    detail = blocks.TextBlock(help_text=_("What exactly to do, with amounts, limits and screens."))

    class Meta:
        icon = "list-ol"
        label = _("Step")


class ItemBlock(blocks.CharBlock):
    class Meta:
        icon = "tick"
        label = _("Item")


QUESTION_BLOCKS = [("question", QuestionBlock(max_length=300))]
STEP_BLOCKS = [("step", StepBlock())]
ITEM_BLOCKS = [("item", ItemBlock(max_length=300))]
