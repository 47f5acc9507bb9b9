"""Scripts: grounded generation, template structure, guard rules, length fitting, bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bank_ai.ai.guards import RISK_DISCLOSURE
from bank_ai.ai.llm.base import Completed, Usage
from content.models import ScriptVersion, VideoScript
from content.studio import scripts, services
from content.studio.scripts import ScriptInvalid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _generate(producer: Any, template: Any, key: str, seconds: int = 60, **kw: Any) -> VideoScript:
    return services.script_generate(
        topic=kw.pop("topic", None),
        template=template(key),
        language=kw.pop("language", "zh-hans"),
        target_seconds=seconds,
        user=producer,
        title=kw.pop("title", "信用卡年费怎么免"),
        **kw,
    )


def test_generation_follows_the_template_and_cites_knowledge(producer, template, fraud_topic):
    script = _generate(producer, template, "anti-fraud", topic=fraud_topic, title="")
    version = script.current
    assert [s["section"] for s in version.scenes] == ["alert", "how", "protect"]
    assert version.citations
    assert all(c["url"] for c in version.citations)
    cited = {n for s in version.scenes for n in s["citations"]}
    assert cited == {c["n"] for c in version.citations}
    assert version.provider == "local"
    assert version.outline[0].startswith("警示")
    assert script.style["outfit"]
    assert script.style["background"]


def test_an_anti_fraud_script_says_what_the_bank_never_asks(producer, template, fraud_topic):
    narration = _generate(producer, template, "anti-fraud", topic=fraud_topic).current.copy
    assert "不会向您索要验证码或密码" in narration


def test_a_wealth_template_carries_the_risk_disclosure(producer, template):
    version = _generate(producer, template, "product-intro", title="个人养老金理财").current
    assert version.disclosure == RISK_DISCLOSURE["zh"]
    assert version.scenes[-1]["narration"].endswith(RISK_DISCLOSURE["zh"])


def test_an_edit_promising_returns_is_refused_and_nothing_is_saved(producer, template):
    script = _generate(producer, template, "product-intro", title="理财产品")
    with pytest.raises(ScriptInvalid, match="保本"):
        services.script_edit(
            script=script,
            user=producer,
            scenes=[{"narration": "这款理财产品保本保息，稳赚不赔。"}],
        )
    assert script.versions.count() == 1


def test_an_edit_telling_viewers_to_move_money_is_refused(producer, template, fraud_topic):
    script = _generate(producer, template, "anti-fraud", topic=fraud_topic)
    with pytest.raises(ScriptInvalid, match="move money"):
        services.script_edit(
            script=script, user=producer, scenes=[{"narration": "请立即转账到安全账户。"}]
        )


def test_an_empty_script_is_refused(producer, template):
    script = _generate(producer, template, "campaign")
    with pytest.raises(ScriptInvalid, match="empty"):
        services.script_edit(script=script, user=producer, scenes=[{"narration": "  "}])


def test_an_over_long_script_is_refused(producer, template):
    script = _generate(producer, template, "campaign")
    with pytest.raises(ScriptInvalid, match="too long"):
        services.script_edit(
            script=script, user=producer, scenes=[{"narration": "海港银行欢迎您。" * 150}]
        )


def test_an_unsupported_language_is_refused(producer, template):
    with pytest.raises(ScriptInvalid, match="Unsupported language 'fr'"):
        _generate(producer, template, "campaign", language="fr")
    assert not VideoScript.objects.filter(language="fr").exists()


def test_shortening_brings_the_script_to_the_target(producer, template):
    script = _generate(producer, template, "card-promotion", seconds=90, title="信用卡分期和积分")
    long = script.current
    version = services.script_resize(script=script, target_seconds=30, user=producer)
    assert version.origin == ScriptVersion.Origin.SHORTENED
    assert version.estimated_seconds <= 30 * (1 + scripts.LENGTH_TOLERANCE)
    assert version.estimated_seconds < long.estimated_seconds
    # Every scene keeps its template line.
    assert [s["section"] for s in version.scenes] == [s["section"] for s in long.scenes]


def test_expanding_adds_only_cited_sentences(producer, template):
    script = _generate(producer, template, "card-promotion", seconds=30, title="信用卡分期和积分")
    short = script.current
    version = services.script_resize(script=script, target_seconds=90, user=producer)
    assert version.origin == ScriptVersion.Origin.EXPANDED
    assert version.estimated_seconds > short.estimated_seconds
    assert len(version.citations) >= len(short.citations)


def test_length_counts_characters_or_words() -> None:
    assert scripts.speech_units("您好，海港银行 ETC 卡", "zh-hans") == 8  # 7 characters, 1 word
    assert scripts.speech_units("Hello, Harbour Bank's card", "en") == 4


class _RemoteModel:
    name = "anthropic"
    model = "fake"

    def __init__(self, text: str) -> None:
        self.text = text
        self.requests: list[Any] = []

    def generate(self, request: Any) -> Completed:
        self.requests.append(request)
        return Completed(self.text, Usage(), 1.0, "anthropic", "fake")


def test_a_remote_model_writes_the_storyboard(producer, template, monkeypatch):
    model = _RemoteModel(
        json.dumps(
            {
                "scenes": [
                    {
                        "section": "hook",
                        "narration": "好消息：年末刷卡有返现！",
                        "on_screen_text": "年末返现",
                        "avatar_pose": "wave",
                        "citations": [1],
                    },
                    {
                        "section": "rules",
                        "narration": "活动期间单笔消费满一百元即可参与。",
                        "citations": [1],
                    },
                    {"section": "cta", "narration": "详情见活动页面。"},
                ]
            },
            ensure_ascii=False,
        )
    )
    monkeypatch.setattr("bank_ai.ai.runtime.get_llm", lambda: model)
    version = _generate(producer, template, "campaign", title="年末刷卡返现").current
    assert version.provider == "anthropic"
    assert version.scenes[0]["on_screen_text"] == "年末返现"
    assert version.scenes[0]["avatar_pose"] == "wave"
    assert model.requests[0].passages  # grounded in retrieved knowledge


def test_an_unusable_remote_answer_falls_back_to_the_template(producer, template, monkeypatch):
    monkeypatch.setattr("bank_ai.ai.runtime.get_llm", lambda: _RemoteModel("Sure! Here it is"))
    version = _generate(producer, template, "campaign", title="年末刷卡返现").current
    assert version.provider == "local"
    assert [s["section"] for s in version.scenes] == ["hook", "rules", "cta"]


def test_generated_promises_are_dropped_not_shown(producer, template, monkeypatch):
    model = _RemoteModel(
        json.dumps(
            {
                "scenes": [
                    {"section": "intro", "narration": "认识一下新产品。这款产品保本保息。"},
                    {"section": "details", "narration": "期限一年。"},
                ]
            },
            ensure_ascii=False,
        )
    )
    monkeypatch.setattr("bank_ai.ai.runtime.get_llm", lambda: model)
    version = _generate(producer, template, "product-intro", title="理财").current
    assert "保本" not in version.copy
    assert "blocked_return_promise" in version.guard_decisions
