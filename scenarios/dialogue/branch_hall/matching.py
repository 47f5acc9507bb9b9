"""What did the customer come for at the branch? Free text to one of its service types.

The matching itself is the AI core's (`bank_ai.ai.need_matching`: keywords, intents,
embeddings); a service type supplies its names, keywords and intent codes, edited in the admin.
"""

from __future__ import annotations

from collections.abc import Sequence

from bank_ai.ai.need_matching import NeedMatch, NeedOption, match_need
from devices.models import ServiceType


def service_option(service: ServiceType) -> NeedOption:
    return NeedOption(
        key=service.code,
        names=(service.name_zh, service.name_en),
        keywords={str(k): list(v) for k, v in (service.keywords or {}).items()},
        intents=tuple(service.intents or ()),
        value=service,
    )


def match_service(text: str, services: Sequence[ServiceType]) -> NeedMatch:
    """Candidates carry the ServiceType as `candidate.option.value`."""
    return match_need(text, [service_option(service) for service in services])
