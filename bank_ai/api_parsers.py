"""The project's DRF parsers and exception handler (REST_FRAMEWORK settings)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext, gettext_lazy
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.response import Response
from rest_framework.utils import json as drf_json
from rest_framework.views import exception_handler as drf_exception_handler

from bank_ai.json_limits import JSONTooDeep, check_depth


class BodyTooLarge(APIException):
    status_code = 413
    default_detail = gettext_lazy("The body is larger than the server accepts.")
    default_code = "body_too_large"


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than settings.JSON_MAX_DEPTH with 400.

    Every endpoint parses through here, so no view can be reached by a body that would make
    the parser, a serializer or a later json.dumps run out of recursion (a 500 before).
    """

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: dict | None = None
    ) -> Any:
        encoding = get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            message = gettext("The body is not text in %(encoding)s.") % {"encoding": encoding}
            raise ParseError(message) from exc
        try:
            check_depth(text)
        except JSONTooDeep as exc:
            message = gettext("JSON nested deeper than %(limit)d levels is not accepted.")
            raise ParseError(message % {"limit": exc.limit}) from exc
        try:
            parse_constant = drf_json.strict_constant if self.strict else None
            return drf_json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a JSON 413.

    Django raises RequestDataTooBig while DRF reads the body; unhandled, it became Django's
    HTML 400, which neither says what was wrong nor matches the API's error body.
    """
    if isinstance(exc, RequestDataTooBig):
        exc = BodyTooLarge()
    return drf_exception_handler(exc, context)
