from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ReviewForm(forms.Form):
    """A supervisor's decision on a score (or an agent's appeal): always with a reason."""

    ACTIONS = [
        ("override", _("Override the score")),
        ("confirm", _("Confirm the score")),
        ("appeal", _("Appeal the score")),
    ]
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    score = forms.FloatField(label=_("New score"), min_value=0, max_value=100, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("action") == "override" and data.get("score") is None:
            self.add_error("score", _("Give the new score."))
        return data
