"""Model relations follow the layers too (import-linter only sees imports, not "app.Model").

Channels (devices, staff assistant) -> domain (scenarios, then content) -> AI core. A foreign
key from a lower layer to a higher one is a dependency in the wrong direction; the ones that
exist today are listed with the change that removes them, and any new one fails here.
"""

from __future__ import annotations

from django.apps import apps

# Higher numbers are higher layers; content sits below the scenarios that answer from it.
LAYER = {
    "devices": 3,
    "staff_assistant": 3,
    "scenarios": 2,
    "branches": 2,
    "content": 1,
    "quality": 2,  # scenarios.quality
    "needs": 1,  # content.needs
    "ai": 0,
}

KNOWN_UPWARD_RELATIONS = {
    # Removed when sessions, funnel events, disclosures and tickets keep a touchpoint reference
    # of the domain instead of the device registry of the channel layer (docs/architecture.md,
    # step 3).
    "scenarios.DialogueSession.device -> devices.Device",
    "scenarios.FunnelEvent.device -> devices.Device",
    "scenarios.DisclosureAcknowledgement.device -> devices.Device",
    "branches.Ticket.issued_by -> devices.Device",
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


def test_no_model_relation_points_up_the_layers_beyond_the_known_ones() -> None:
    assert _upward_relations() - KNOWN_UPWARD_RELATIONS == set()


def test_every_known_upward_relation_still_exists() -> None:
    # When one is removed, take it off the list so it cannot quietly come back.
    assert KNOWN_UPWARD_RELATIONS - _upward_relations() == set()
