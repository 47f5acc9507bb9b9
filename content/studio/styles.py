"""The avatar style catalogue: renderer keys, and suggestions per topic and template."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

STYLE_KINDS = ("outfits", "backgrounds", "props", "poses", "tones")


def renderer_styles() -> dict[str, list[str]]:
    """What the renderer can draw, so the catalogue never offers a key it cannot."""
    from content.studio.render import available_styles

    return available_styles()


@dataclass(frozen=True)
class StyleOption:
    key: str
    label: str
    score: float


@dataclass(frozen=True)
class StyleSuggestion:
    """The best entry per kind (first) with the runners-up, for a producer to pick from."""

    outfit: list[StyleOption] = field(default_factory=list)
    background: list[StyleOption] = field(default_factory=list)
    props: list[StyleOption] = field(default_factory=list)
    tone: list[StyleOption] = field(default_factory=list)
    pose: list[StyleOption] = field(default_factory=list)

    def chosen(self) -> dict[str, object]:
        """The top pick per kind as the script's style (outfit, background, props, tone)."""
        return {
            "outfit": self.outfit[0].key if self.outfit else "",
            "background": self.background[0].key if self.background else "",
            # Up to two props that fit: more clutters a 720p frame.
            "props": [p.key for p in self.props[:2] if p.score > 0],
            "tone": self.tone[0].key if self.tone else "",
        }


def _keyword_hits(keywords: str, text: str) -> int:
    lowered = text.casefold()
    return sum(1 for word in keywords.split() if word and word.casefold() in lowered)


def suggest_styles(
    *,
    entries: Iterable[object],
    template_id: int | None,
    tone: str,
    topic_text: str,
    language: str,
) -> StyleSuggestion:
    """Rank catalogue entries: suits the template (+2), each topic keyword found (+1 each),
    suits the template's tone (+1). Ties keep the catalogue's order (kind, key)."""
    by_kind: dict[str, list[StyleOption]] = {kind: [] for kind in STYLE_KINDS}
    for entry in entries:
        template_ids = {t.pk for t in entry.templates.all()}
        score = 0.0
        if template_id is not None and template_id in template_ids:
            score += 2
        score += _keyword_hits(entry.topic_keywords, topic_text)
        if entry.kind == "tones":
            score += 1 if entry.key == tone else 0
        elif tone and tone in (entry.tones or []):
            score += 1
        by_kind[entry.kind].append(StyleOption(entry.key, entry.label(language), score))
    for options in by_kind.values():
        options.sort(key=lambda o: -o.score)
    return StyleSuggestion(
        outfit=by_kind["outfits"],
        background=by_kind["backgrounds"],
        props=by_kind["props"],
        tone=by_kind["tones"],
        pose=by_kind["poses"],
    )
