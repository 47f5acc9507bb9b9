from __future__ import annotations

from rest_framework import serializers

from staff_assistant.models import Conversation, Message, QuickFilter
from staff_assistant.services import MAX_CORRECTION_CHARS, MAX_QUESTION_CHARS

# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]: another "language" field (sessions)
# has only zh-hans and en, and two choice sets under one field name make drf-spectacular warn.
ANSWER_LANGUAGES = [("auto", "auto"), ("zh-hans", "zh-hans"), ("en", "en")]


class StaffAskSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=MAX_QUESTION_CHARS, trim_whitespace=True)
    language = serializers.ChoiceField(
        choices=ANSWER_LANGUAGES,
        default="auto",
        help_text="Answer language; auto (the default) answers in the question's language.",
    )
    filter = serializers.ChoiceField(choices=QuickFilter.choices, required=False, allow_blank=True)
    conversation = serializers.IntegerField(required=False, allow_null=True)


class SourceSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="The cited revision of the page (what was live then).")
    page_url = serializers.CharField(help_text="The page as it reads now.")
    snippet = serializers.CharField()
    page_id = serializers.IntegerField(allow_null=True)
    revision_id = serializers.IntegerField(allow_null=True)


class StaffAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(
        help_text="Plain text (escape it where HTML is rendered) with [n] citation markers."
    )
    kind = serializers.CharField()
    language = serializers.CharField()
    sources = SourceSerializer(many=True)
    related_questions = serializers.ListField(child=serializers.CharField())
    escalate = serializers.BooleanField()
    conversation_id = serializers.IntegerField()
    question_id = serializers.IntegerField()
    message_id = serializers.IntegerField()
    audit_id = serializers.IntegerField()


class FeedbackSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=[1, -1])
    correction = serializers.CharField(
        max_length=MAX_CORRECTION_CHARS, required=False, allow_blank=True, default=""
    )


class MessageSerializer(serializers.ModelSerializer):
    # Plain text here: the filter's choices are documented once, on StaffAskSerializer.
    quick_filter = serializers.CharField(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "role", "text", "quick_filter", "kind", "sources", "created_at"]


class ConversationSerializer(serializers.ModelSerializer):
    messages = MessageSerializer(many=True, read_only=True)

    class Meta:
        model = Conversation
        fields = ["id", "title", "language", "created_at", "updated_at", "messages"]
