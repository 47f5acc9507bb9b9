"""Model relations follow the layers too (import-linter only sees imports, not "app.Model").

Channels (devices, staff assistant) -> domain (scenarios, then content) -> AI core. A foreign
key from a lower layer to a higher one is a dependency in the wrong direction and fails here.
Since issue 14's step 3 there is none: the device registry is the domain's (`touchpoints`) and
the AI core keeps a touchpoint id, not a key (docs/architecture.md).
"""

from __future__ import annotations

from django.apps import apps

# Higher numbers are higher layers; content sits below the scenarios that answer from it.
LAYER = {
    "devices": 3,
    "staff_assistant": 3,
    "scenarios": 2,
    "branches": 2,  # scenarios.branches
    "touchpoints": 2,  # scenarios.touchpoints
    "analytics": 2,  # scenarios.analytics
    "agentrouting": 2,  # scenarios.agentrouting
    "outbound": 2,  # scenarios.outbound
    "omni": 3,  # devices.omni
    "content": 1,
    "quality": 2,  # scenarios.quality
    "needs": 1,  # content.needs
    "ai": 0,
}


def _upward_relations() -> set[str]:
    found = set()
    for model in apps.get_models():
        source = model._meta.app_label
        for field in model._meta.get_fields(include_hidden=False):
            # Only where the field is declared: page subclasses inherit their parent's keys.
            if not (field.is_relation and field.concrete and field.model is model):
                continue
            target = field.related_model._meta.app_label
            if source in LAYER and target in LAYER and LAYER[target] > LAYER[source]:
                found.add(
                    f"{source}.{model.__name__}.{field.name} -> "
                    f"{target}.{field.related_model.__name__}"
                )
    return found


def test_no_model_relation_points_up_the_layers() -> None:
    assert _upward_relations() == set()


def test_every_app_with_models_has_a_layer() -> None:
    # An app of the project missing from LAYER would be skipped above without anyone noticing.
    ours = {"bank_ai", "devices", "scenarios", "content", "staff_assistant"}
    labels = {
        config.label
        for config in apps.get_app_configs()
        if config.name.split(".")[0] in ours and list(config.get_models())
    }
    assert labels - set(LAYER) == set()
