"""The staff assistant's REST API for employees (session or `Authorization: Token <key>`).

Devices are not employees: the API takes no device tokens, and anyone without the
`content.ask_staff_assistant` permission gets 403.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from staff_assistant.api.serializers import (
    ConversationSerializer,
    FeedbackSerializer,
    StaffAnswerSerializer,
    StaffAskSerializer,
)
from staff_assistant.selectors import conversations_for_user, user_may_ask
from staff_assistant.services import (
    AssistantError,
    feedback_submit,
    staff_answer_language,
    staff_ask,
)
from staff_assistant.views import answer_payload


class MayAskStaffAssistant(permissions.BasePermission):
    message = "You are not allowed to use the staff assistant."

    def has_permission(self, request: Request, view: object) -> bool:
        return user_may_ask(request.user)


class StaffAPIView(APIView):
    # Token first: its WWW-Authenticate header makes an anonymous call a 401, not a 403.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated, MayAskStaffAssistant]


def _refused(error: AssistantError) -> Response:
    code = status.HTTP_404_NOT_FOUND if error.code.startswith("unknown_") else 400
    return Response({"error": error.code, "detail": error.message}, status=code)


class StaffAskView(StaffAPIView):
    error_statuses = {404}  # `conversation` names one that is not the caller's

    @extend_schema(request=StaffAskSerializer, responses={200: StaffAnswerSerializer})
    def post(self, request: Request) -> Response:
        data = StaffAskSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            result = staff_ask(
                user=request.user,
                question=values["question"],
                language=staff_answer_language(
                    requested=values["language"], question=values["question"]
                ),
                quick_filter=values.get("filter") or "",
                conversation_id=values.get("conversation"),
            )
        except AssistantError as error:
            return _refused(error)
        return Response(answer_payload(result))


class StaffFeedbackView(StaffAPIView):
    @extend_schema(request=FeedbackSerializer, responses={201: None})
    def post(self, request: Request, message_id: int) -> Response:
        data = FeedbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            feedback = feedback_submit(
                user=request.user,
                message_id=message_id,
                rating=int(data.validated_data["rating"]),
                correction=data.validated_data["correction"],
            )
        except AssistantError as error:
            return _refused(error)
        return Response(
            {"id": feedback.pk, "rating": feedback.rating, "status": feedback.status},
            status=status.HTTP_201_CREATED,
        )


class StaffConversationListView(StaffAPIView):
    @extend_schema(responses=ConversationSerializer(many=True))
    def get(self, request: Request) -> Response:
        conversations = conversations_for_user(request.user, limit=20).prefetch_related("messages")
        return Response(ConversationSerializer(conversations, many=True).data)


class StaffConversationDetailView(StaffAPIView):
    @extend_schema(responses=ConversationSerializer)
    def get(self, request: Request, conversation_id: int) -> Response:
        conversation = get_object_or_404(
            conversations_for_user(request.user, limit=None), pk=conversation_id
        )
        return Response(ConversationSerializer(conversation).data)
