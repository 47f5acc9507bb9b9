from __future__ import annotations

from rest_framework import serializers

from scenarios.dialogue import MAX_TURN_CHARS
from scenarios.models import DialogueSession, Turn
from scenarios.models.dialogue import DEVICE_CHANNELS

CHANNELS = list(DEVICE_CHANNELS)


class SessionCreateSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=CHANNELS)
    scenario = serializers.SlugField(max_length=40)
    language = serializers.ChoiceField(choices=["zh-hans", "en"], default="zh-hans")
    customer_no = serializers.CharField(
        max_length=20,
        required=False,
        help_text="The logged-in customer, asserted by a device whose capabilities include "
        "customer_identity (the app backend after its own login); refused otherwise.",
    )


class TurnCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_TURN_CHARS, trim_whitespace=True)
    step = serializers.SlugField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="The step the client showed when the customer typed; a turn for a step the "
        "session has left is refused with 409 and not applied.",
    )


class EventCreateSerializer(serializers.Serializer):
    # Dotted names too: a VTM reports "step.confirmed" / "step.failed".
    name = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        max_length=40,
        error_messages={"invalid": "letters, digits, '_', '-' and '.' only"},
    )
    step = serializers.SlugField(max_length=40, required=False, allow_blank=True, default="")
    data = serializers.DictField(required=False, default=dict)

    def validate_data(self, value: dict) -> dict:
        if len(str(value)) > 4000:
            raise serializers.ValidationError("event data is limited to 4,000 characters")
        return value


class RatingSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TurnResultSerializer(serializers.Serializer):
    session = serializers.UUIDField()
    reply = serializers.CharField()
    step = serializers.CharField()
    status = serializers.CharField()
    intent = serializers.CharField(allow_null=True)
    actions = serializers.ListField(child=serializers.DictField())
    sources = serializers.ListField(child=serializers.DictField())


class TurnSerializer(serializers.ModelSerializer):
    class Meta:
        model = Turn
        fields = ["seq", "role", "text", "step", "intent", "payload", "created_at"]


class SessionSerializer(serializers.ModelSerializer):
    scenario = serializers.CharField(source="flow.code")
    transcript = TurnSerializer(source="turns", many=True)
    customer = serializers.CharField(source="customer.customer_no", default=None)
    paused_flows = serializers.SerializerMethodField()
    application = serializers.SerializerMethodField()

    def get_paused_flows(self, session: DialogueSession) -> list[dict]:
        from scenarios.dialogue.topics import STACK

        return [
            {"flow": entry["flow"], "step": entry["step"]}
            for entry in session.memory.get(STACK, [])
        ]

    def get_application(self, session: DialogueSession) -> dict | None:
        from scenarios.applications import application_state
        from scenarios.models import CardApplication

        application = CardApplication.objects.filter(session=session).first()
        return application_state(application, session.language) if application else None

    class Meta:
        model = DialogueSession
        fields = [
            "id",
            "scenario",
            "channel",
            "language",
            "status",
            "current_step",
            "slots",
            "customer",
            "paused_flows",
            "application",
            "turn_count",
            "created_at",
            "updated_at",
            "transcript",
        ]
