"""The intent catalogue shared by the avatar, the VTM, the app chat and the staff assistant."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest

INTENTS_JSON = Path(__file__).resolve().parents[2] / "bank_ai" / "ai" / "demo_data" / "intents.json"
LANGUAGES = ("zh-hans", "en")
SCENARIOS = {"credit_card", "branch_hall", "super_teller", "app_service", "general"}
REQUIRED_CODES = {
    "card_recommend", "card_apply", "bill_analysis", "card_application_status", "card_activate",
    "card_lost_report", "card_pin_reset", "bill_query", "instalment", "repayment", "annual_fee",
    "credit_limit", "queue_ticket", "branch_materials", "account_open", "transfer",
    "balance_statement", "contact_update", "password_reset", "fx_exchange", "wealth_products",
    "loan_inquiry", "fraud_report", "complaint", "human_agent", "greeting", "goodbye", "thanks",
}  # fmt: skip


@cache
def load() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(INTENTS_JSON.read_text(encoding="utf-8")))


def normalised(utterance: str) -> str:
    # Two utterances differing only in case, width, spaces or punctuation are the same example.
    text = unicodedata.normalize("NFKC", utterance).casefold()
    return re.sub(r"[\s\W_]+", "", text)


def test_the_catalogue_is_a_json_array_of_intent_objects() -> None:
    data = json.loads(INTENTS_JSON.read_text(encoding="utf-8"))

    assert isinstance(data, list)
    assert 25 <= len(data) <= 35
    keys = {"code", "scenario", "handoff", "name", "description", "examples"}
    assert all(isinstance(intent, dict) and set(intent) == keys for intent in data)


def test_intent_codes_are_unique_snake_case() -> None:
    codes = [intent["code"] for intent in load()]

    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z]+(?:_[a-z]+)*", code) for code in codes)


def test_every_required_intent_is_present() -> None:
    codes = {intent["code"] for intent in load()}

    missing = REQUIRED_CODES - codes
    assert not missing, missing


def test_every_intent_has_a_known_scenario() -> None:
    unknown = {intent["scenario"] for intent in load()} - SCENARIOS
    assert not unknown, unknown


@pytest.mark.parametrize("field", ["name", "description"])
def test_names_and_descriptions_are_given_in_both_languages(field: str) -> None:
    for intent in load():
        assert set(intent[field]) == set(LANGUAGES), intent["code"]
        assert all(intent[field][lang].strip() for lang in LANGUAGES), intent["code"]


def test_every_intent_has_at_least_12_examples_per_language() -> None:
    short = {
        (intent["code"], lang): len(intent["examples"][lang])
        for intent in load()
        for lang in LANGUAGES
        if len(intent["examples"].get(lang, [])) < 12
    }

    assert not short, short


def test_examples_are_written_in_their_own_language() -> None:
    for intent in load():
        for text in intent["examples"]["zh-hans"]:
            assert re.search(r"[\u4e00-\u9fff]", text), (intent["code"], text)
        for text in intent["examples"]["en"]:
            assert not re.search(r"[\u4e00-\u9fff]", text), (intent["code"], text)
            assert re.search(r"[A-Za-z]", text), (intent["code"], text)


def test_examples_are_non_empty_trimmed_strings() -> None:
    for intent in load():
        for lang in LANGUAGES:
            for text in intent["examples"][lang]:
                assert isinstance(text, str), intent["code"]
                assert text, intent["code"]
                assert text == text.strip(), (intent["code"], text)


def test_no_utterance_appears_twice_within_or_across_intents() -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    for intent in load():
        for lang in LANGUAGES:
            for text in intent["examples"][lang]:
                owners[normalised(text)].append(intent["code"])

    duplicates = {text: codes for text, codes in owners.items() if len(codes) > 1}
    assert not duplicates, duplicates


def test_only_the_human_agent_intent_hands_off() -> None:
    assert all(isinstance(intent["handoff"], bool) for intent in load())
    assert [intent["code"] for intent in load() if intent["handoff"]] == ["human_agent"]
