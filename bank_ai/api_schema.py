"""drf-spectacular hooks and the project's AutoSchema.

drf-spectacular documents only an operation's success code; clients (and schemathesis'
status-code conformance check) then meet 400/401/403/404/409 the schema never mentioned.
`ProjectAutoSchema` adds, to every operation, the error responses the view can really give,
worked out from how the view is built rather than by decorating each view:

- 401 when a credential is needed and the first authenticator can challenge (WWW-Authenticate);
  403 when an authenticated caller can still be refused (permissions, the views' own checks,
  CSRF on session-authenticated writes);
- 404 when the path names a record;
- 400 (and 413, 415) when the operation takes a body;
- 409 and any other status a view produces from its own state: listed in the view's
  `error_statuses`;
- 429 when the view is throttled.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions, serializers

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _("Bad input: the body or a parameter is invalid (the message names the field)."),
    401: _("No credential, or one that is unknown, expired or revoked."),
    403: _("The caller is known but may not do this."),
    404: _("No such record, or not one this caller may see."),
    409: _("The record's current state does not allow this (e.g. a stale step)."),
    413: _("The body is larger than the server accepts."),
    415: _("The body's Content-Type is not one this operation reads."),
    429: _("Too many requests; retry after the time in Retry-After."),
}


class ApiErrorSerializer(serializers.Serializer):
    """Every error body: `detail` and often a machine-readable `code` (or `error`).

    A 400 from a serializer names the fields instead: `{"<field>": ["<message>", ...]}`.
    """

    detail = serializers.CharField(required=False, help_text="What went wrong, for people.")
    code = serializers.CharField(required=False, help_text="What went wrong, for programs.")
    error = serializers.CharField(required=False, help_text="Same as code (staff assistant).")


def only_public_api(endpoints: list[tuple[str, Any, str, Any]]) -> list[tuple[str, Any, str, Any]]:
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


class ProjectAutoSchema(AutoSchema):
    def error_statuses(self) -> set[int]:
        """The error statuses this operation can answer with (see the module docstring)."""
        statuses: set[int] = set(getattr(self.view, "error_statuses", ()))
        view_permissions = self.view.get_permissions()
        open_to_anyone = all(
            isinstance(permission, permissions.AllowAny) for permission in view_permissions
        )
        authenticators = self.view.get_authenticators()
        if authenticators:
            challenges = bool(authenticators[0].authenticate_header(self.view.request))
            # An invalid credential is refused even on an open view.
            statuses.add(401 if challenges else 403)
            if not open_to_anyone:
                statuses.add(403)
        if "{" in self.path:
            statuses.add(404)
        if self.method in BODY_METHODS:
            statuses.update({400, 413, 415})
        if self.view.get_throttles():
            statuses.add(429)
        return statuses

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for status_code in sorted(self.error_statuses()):
            code = str(status_code)
            if code in responses:
                continue  # the view documented this status itself
            response = self._get_response_for_code(ApiErrorSerializer, code, direction=direction)
            response["description"] = str(ERROR_DESCRIPTIONS.get(status_code, ""))
            responses[code] = response
        return responses
