"""The studio API's request and response shapes (they document the OpenAPI schema too)."""

from __future__ import annotations

from rest_framework import serializers

from content.models import (
    Publication,
    PublishAttempt,
    RenderItem,
    ReviewEvent,
    ScriptVersion,
    Topic,
    TopicSource,
    VideoScript,
)
from content.studio.scripts import LANGUAGES


class TopicSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = TopicSource
        fields = ["kind", "name", "title", "url", "hits", "published_at", "similarity"]


class TopicSerializer(serializers.ModelSerializer):
    # Plain strings: a choices enum named "language" would collide with other apps' schemas.
    language = serializers.CharField(read_only=True)
    sources = TopicSourceSerializer(many=True, read_only=True)
    script_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Topic
        fields = [
            "id",
            "title",
            "summary",
            "language",
            "score",
            "recency_score",
            "relevance_score",
            "demand_score",
            "latest_at",
            "script_count",
            "sources",
        ]


class ScriptVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScriptVersion
        fields = [
            "number",
            "origin",
            "outline",
            "scenes",
            "copy",
            "citations",
            "target_seconds",
            "estimated_seconds",
            "disclosure",
            "guard_decisions",
            "provider",
            "created_at",
        ]


class ReviewEventSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number")

    class Meta:
        model = ReviewEvent
        fields = ["action", "actor_name", "comment", "version", "created_at"]


class ScriptSerializer(serializers.ModelSerializer):
    language = serializers.CharField(read_only=True)
    current = ScriptVersionSerializer(read_only=True)
    template = serializers.SlugRelatedField(slug_field="key", read_only=True)
    approved_version = serializers.IntegerField(source="approved_version.number", default=None)
    reviews = ReviewEventSerializer(many=True, read_only=True)

    class Meta:
        model = VideoScript
        fields = [
            "id",
            "title",
            "topic",
            "template",
            "language",
            "target_seconds",
            "status",
            "style",
            "aspect",
            "approved_version",
            "current",
            "reviews",
        ]


class ScriptCreateSerializer(serializers.Serializer):
    topic = serializers.IntegerField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    template = serializers.CharField(help_text="A template key, e.g. anti-fraud.")
    # Any string: an unsupported language is refused by the service with its reason.
    language = serializers.CharField(max_length=20, help_text=f"One of {', '.join(LANGUAGES)}.")
    target_seconds = serializers.IntegerField(default=60)


class SceneSerializer(serializers.Serializer):
    section = serializers.CharField(required=False, allow_blank=True)
    narration = serializers.CharField(allow_blank=True)
    on_screen_text = serializers.CharField(required=False, allow_blank=True)
    visual = serializers.CharField(required=False, allow_blank=True)
    avatar_pose = serializers.CharField(required=False, allow_blank=True)
    citations = serializers.ListField(child=serializers.IntegerField(), required=False)


class ScriptEditSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    scenes = SceneSerializer(many=True)


class ScriptResizeSerializer(serializers.Serializer):
    target_seconds = serializers.IntegerField()


class ReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class RenderBatchCreateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="")
    scripts = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    managers = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class RenderItemSerializer(serializers.ModelSerializer):
    video_url = serializers.CharField(read_only=True)

    class Meta:
        model = RenderItem
        fields = [
            "id",
            "script",
            "manager",
            "status",
            "progress",
            "attempts",
            "last_error",
            "video_url",
            "duration",
        ]


class PublicationCreateSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    target = serializers.IntegerField()


class PublishAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = PublishAttempt
        fields = ["number", "ok", "error_code", "message", "external_id", "created_at"]


class PublicationSerializer(serializers.ModelSerializer):
    attempts = PublishAttemptSerializer(many=True, read_only=True)
    target = serializers.StringRelatedField()

    class Meta:
        model = Publication
        fields = ["id", "item", "target", "status", "external_id", "external_url", "attempts"]


class RateSerializer(serializers.Serializer):
    rate = serializers.FloatField(allow_null=True)


class KpiSerializer(serializers.Serializer):
    script_adoption_rate = serializers.DictField()
    script_generations_per_hot_topic = serializers.ListField(child=serializers.DictField())
    content_adoption_rate = serializers.DictField()
    content_generations_per_hot_topic = serializers.ListField(child=serializers.DictField())
    third_party_sync_success_rate = serializers.DictField()
