from __future__ import annotations

from rest_framework import serializers

from scenarios.quality.models import Finding, Inspection, ScoreReview


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = ["criterion_code", "weight", "passed", "source", "turn_seq", "turn_role", "note"]


class ScoreReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScoreReview
        fields = ["action", "actor_name", "previous_score", "new_score", "reason", "created_at"]


class InspectionSerializer(serializers.ModelSerializer):
    session = serializers.UUIDField(source="session_id", read_only=True)
    agent = serializers.CharField(source="agent.username", default=None, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "session",
            "scenario",
            "channel",
            "language",
            "agent",
            "session_status",
            "turn_count",
            "handling_seconds",
            "auto_score",
            "score",
            "failed_criteria",
            "method",
            "review_state",
            "conversation_ended_at",
            "scored_at",
        ]


class InspectionDetailSerializer(InspectionSerializer):
    findings = FindingSerializer(many=True, read_only=True)
    reviews = ScoreReviewSerializer(many=True, read_only=True)

    class Meta(InspectionSerializer.Meta):
        fields = [*InspectionSerializer.Meta.fields, "llm_note", "findings", "reviews"]


class ReviewRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["override", "confirm", "appeal"])
    score = serializers.FloatField(min_value=0, max_value=100, required=False, allow_null=True)
    reason = serializers.CharField(max_length=2000)

    def validate(self, attrs: dict) -> dict:
        if attrs["action"] == "override" and attrs.get("score") is None:
            raise serializers.ValidationError({"score": "an override needs the new score"})
        return attrs


class ScorecardSerializer(serializers.Serializer):
    agent_id = serializers.IntegerField(allow_null=True)
    agent = serializers.CharField()
    count = serializers.IntegerField()
    average = serializers.FloatField()
    lowest = serializers.FloatField()
    failures = serializers.DictField(child=serializers.IntegerField())
