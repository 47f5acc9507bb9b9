"""Card applications: documents, pre-check, value-added services, the risk and fee disclosure,
submission, and the status history and timeline that follow.

Documents: only images and PDFs are accepted, identified by their first bytes (the declared
content type and file name are the client's word, not evidence); each file is hashed and stored
under a random name. The latest upload of a kind is the one that counts.

Nothing is submitted unless the pre-check passes, the value-added services were decided and the
disclosure shown in the customer's language, in its current version, was acknowledged.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from bank_ai.i18n import pick
from scenarios.calendar import MAX_SEARCH_DAYS, add_business_days, calendar_exceptions
from scenarios.definitions import card_named
from scenarios.dialogue.base import DialogueError
from scenarios.dialogue.engine import record_funnel, turn_memo
from scenarios.models import (
    ApplicationDocument,
    ApplicationMilestone,
    ApplicationStatusChange,
    CardApplication,
    CardProduct,
    DialogueSession,
    DisclosureAcknowledgement,
)

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
Status = CardApplication.Status
# Who may move an application where after submission (the bank's side, from the admin).
TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.SUBMITTED, Status.WITHDRAWN},
    Status.SUBMITTED: {Status.IN_REVIEW, Status.DECLINED, Status.WITHDRAWN},
    Status.IN_REVIEW: {Status.APPROVED, Status.DECLINED, Status.WITHDRAWN},
    Status.APPROVED: {Status.CARD_MAILED},
    Status.CARD_MAILED: set(),
    Status.DECLINED: set(),
    Status.WITHDRAWN: set(),
}
# The milestone a status change completes.
MILESTONE_DONE = {
    Status.SUBMITTED: "precheck",
    Status.IN_REVIEW: "review",
    Status.APPROVED: "decision",
    Status.DECLINED: "decision",
    Status.CARD_MAILED: "card_mailed",
}


# Keys of the turn's memo (engine.turn_memo) this module keeps things under.
MEMO_APPLICATION = "application"
MEMO_ACKNOWLEDGEMENT = "acknowledgement"


class DocumentRejected(ValueError):
    """The upload is not a document this application can take."""


class ApplicationError(ValueError):
    """A value the application cannot take (an unknown service, a stale disclosure...)."""


def sniff_content_type(head: bytes) -> str | None:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def required_kinds(card: CardProduct) -> list[str]:
    return [doc["code"] for doc in card.required_documents if doc.get("required", True)]


def application_for(session: DialogueSession, *, for_update: bool = False) -> CardApplication:
    """The session's application for its chosen card (created as a draft when missing).

    During a dialogue turn the row read first is reused by the rest of the turn (the step's
    check, the next step's arrival, the summary): the turn holds the session, and everything
    the turn changes on the application it changes on that instance. `for_update` reads (and
    keeps) it locked.
    """
    code = session.memory.get("chosen_card")
    if not code:
        raise DialogueError("choose a card before uploading documents")
    card = card_named(code)
    memo = turn_memo(session)
    if memo is not None and not for_update:
        kept = memo.get(MEMO_APPLICATION)
        if kept is not None and kept.card_id == card.pk:
            return kept
    application = _stored_application(session, card, for_update)
    if memo is not None:
        memo[MEMO_APPLICATION] = application
    return application


def _stored_application(
    session: DialogueSession, card: CardProduct, for_update: bool
) -> CardApplication:
    if for_update:
        application = CardApplication.objects.select_for_update().filter(session=session).first()
        created = False
        if application is None:
            application, created = CardApplication.objects.get_or_create(
                session=session, defaults={"card": card, "customer_id": session.customer_id}
            )
    else:
        application, created = CardApplication.objects.get_or_create(
            session=session, defaults={"card": card, "customer_id": session.customer_id}
        )
    if application.card_id == card.pk:
        application.card = card  # the process's copy: no query for it
    if not created and application.card_id != card.pk:
        if application.documents.exists() or application.status != Status.DRAFT:
            raise DialogueError("this session already has an application for another card")
        application.card = card
        application.value_added_services = []
        application.services_decided_at = None
        application.save(update_fields=["card", "value_added_services", "services_decided_at"])
    return application


def _draft(session: DialogueSession) -> CardApplication:
    application = application_for(session)
    if application.status != Status.DRAFT:
        raise DialogueError(f"the application is already {application.status}")
    return application


@transaction.atomic
def application_document_upload(
    *,
    session: DialogueSession,
    kind: str,
    upload: UploadedFile,
    valid_until: date | None = None,
) -> ApplicationDocument:
    if session.status != DialogueSession.Status.ACTIVE:
        raise DialogueError(f"the session is {session.status}")
    application = _draft(session)
    accepted = {doc["code"] for doc in application.card.required_documents}
    if kind not in accepted:
        raise DocumentRejected(
            f"{application.card.code} does not take {kind!r}; it takes "
            f"{', '.join(sorted(accepted))}"
        )
    if upload.size is None or upload.size == 0:
        raise DocumentRejected("the file is empty")
    if upload.size > MAX_DOCUMENT_BYTES:
        raise DocumentRejected(f"files are limited to {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    if content_type is None:
        raise DocumentRejected("only JPEG, PNG or PDF documents are accepted")
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    document = ApplicationDocument(
        application=application,
        kind=kind,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        valid_until=valid_until,
    )
    document.file.save("upload", upload, save=False)
    try:
        document.save()
    except Exception:
        # The row did not make it: do not leave a customer's document orphaned on disk.
        document.file.delete(save=False)
        raise
    record_funnel(session, session.current_step, "document_uploaded", {"kind": kind})
    return document


def application_precheck(
    application: CardApplication, language: str, today: date | None = None
) -> dict[str, Any]:
    """What is still missing, expired or lacks its validity date, named in the customer's
    language. Only the latest upload of each kind counts."""
    today = today or timezone.localdate()
    latest: dict[str, ApplicationDocument] = {}
    for document in application.documents.order_by("uploaded_at", "id"):
        latest[document.kind] = document
    missing, expired, undated = [], [], []
    for doc in application.card.required_documents:
        entry = {"kind": doc["code"], "name": pick(doc, language)}
        uploaded = latest.get(doc["code"])
        if uploaded is None:
            if doc.get("required", True):
                missing.append(entry)
            continue
        if doc.get("expires"):
            if uploaded.valid_until is None:
                undated.append(entry)
            elif uploaded.valid_until < today:
                expired.append({**entry, "valid_until": uploaded.valid_until.isoformat()})
    return {
        "complete": not (missing or expired or undated),
        "missing": missing,
        "expired": expired,
        "undated": undated,
        "uploaded": sorted(latest),
    }


def application_services_choose(*, session: DialogueSession, codes: list[str]) -> CardApplication:
    """Record the value-added services chosen ([] = all declined).

    One UPDATE after the checks: atomic on its own, so no savepoint inside a turn."""
    application = _draft(session)
    offered = [service["code"] for service in application.card.value_added_services]
    unknown = sorted(set(codes) - set(offered))
    if unknown:
        raise ApplicationError(f"{application.card.code} offers no service {', '.join(unknown)}")
    application.value_added_services = [code for code in offered if code in codes]
    application.services_decided_at = timezone.now()
    application.save(update_fields=["value_added_services", "services_decided_at"])
    return application


def disclosure_for(card: CardProduct, language: str) -> tuple[str, list[str]]:
    """The disclosure items shown in `language` and their version (a hash of exactly them)."""
    items = list(pick(card.disclosures, language, []))
    canonical = json.dumps(
        {"card": card.code, "language": language, "items": items}, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:12], items


def application_disclosure_acknowledge(
    *, session: DialogueSession, version: str, evidence: str
) -> DisclosureAcknowledgement:
    application = _draft(session)
    current, items = disclosure_for(application.card, session.language)
    if version != current:
        raise ApplicationError(
            f"disclosure version {version!r} is not the current one ({current}); show it again"
        )
    # One INSERT after the checks: atomic on its own, so no savepoint inside a turn.
    acknowledgement = DisclosureAcknowledgement.objects.create(
        application=application,
        version=current,
        language=session.language,
        text="\n".join(items),
        session=session,
        channel=session.channel,
        device=session.device,
        user=session.user,
        customer=session.customer,
        evidence=evidence[:200],
    )
    # The newest acknowledgement: the turn's summary of the application needs no query for it.
    application._latest_acknowledgement = acknowledgement  # type: ignore[attr-defined]
    return acknowledgement


def current_acknowledgement(
    application: CardApplication, language: str
) -> DisclosureAcknowledgement | None:
    version, _ = disclosure_for(application.card, language)
    latest = getattr(application, "_latest_acknowledgement", None)
    if latest is not None and latest.version == version:
        return latest
    return application.acknowledgements.filter(version=version).order_by("-acknowledged_at").first()


def _actor(session: DialogueSession) -> str:
    if session.customer_id:
        return f"customer:{session.customer.customer_no}"
    if session.device_id:
        return f"device:{session.device.name}"
    if session.user_id:
        return f"user:{session.user.get_username()}"
    return "customer"


def card_application_submit(*, session: DialogueSession) -> CardApplication:
    if not connection.in_atomic_block:
        with transaction.atomic():
            return card_application_submit(session=session)
    # Inside a turn's transaction: the checks write nothing, so a refusal (which the flow
    # handles by going back a step) needs no savepoint; the writes that follow are all or
    # nothing with the transaction (a failure among them rolls the whole turn back).
    application = application_for(session, for_update=True)
    if application.status != Status.DRAFT:
        raise DialogueError(f"the application is already {application.status}")
    precheck = application_precheck(application, session.language)
    if not precheck["complete"]:
        raise DialogueError("the documents have not passed the pre-check")
    if application.card.value_added_services and application.services_decided_at is None:
        raise DialogueError("the value-added services have not been decided")
    if current_acknowledgement(application, session.language) is None:
        raise DialogueError("the risk and fee disclosure has not been acknowledged")
    with transaction.atomic(savepoint=False):
        _submit(session, application)
    return application


def _submit(session: DialogueSession, application: CardApplication) -> None:
    now = timezone.now()
    application.status = Status.SUBMITTED
    application.submitted_at = now
    application.customer = application.customer or session.customer
    application.save(update_fields=["status", "submitted_at", "customer"])
    ApplicationStatusChange.objects.create(
        application=application,
        from_status=Status.DRAFT,
        to_status=Status.SUBMITTED,
        actor=_actor(session),
        changed_at=now,
    )
    today = timezone.localdate(now)
    exceptions = calendar_exceptions(today, today + timedelta(days=MAX_SEARCH_DAYS))
    milestones = ApplicationMilestone.objects.bulk_create(
        [
            ApplicationMilestone(
                application=application,
                code=milestone["code"],
                position=position,
                label_zh=milestone.get("zh-hans", milestone["code"]),
                label_en=milestone.get("en", milestone["code"]),
                expected_on=add_business_days(today, int(milestone["business_days"]), exceptions),
                # The pre-check has just passed: that milestone is met on submission.
                completed_at=(
                    now if milestone["code"] == MILESTONE_DONE[Status.SUBMITTED] else None
                ),
            )
            for position, milestone in enumerate(
                (application.card.timeline or {}).get("milestones", []), start=1
            )
        ]
    )
    # These are all of its milestones, in their order: the timeline shown next reads them
    # from the instance, as a prefetch would have left them.
    application._prefetched_objects_cache = {"milestones": milestones}  # type: ignore[attr-defined]


@transaction.atomic
def card_application_status_change(
    *, application: CardApplication, to_status: str, actor: str, note: str = ""
) -> CardApplication:
    application = CardApplication.objects.select_for_update().get(pk=application.pk)
    if to_status not in TRANSITIONS.get(application.status, set()):
        raise ApplicationError(f"an application cannot go from {application.status} to {to_status}")
    now = timezone.now()
    ApplicationStatusChange.objects.create(
        application=application,
        from_status=application.status,
        to_status=to_status,
        actor=actor[:80],
        note=note[:300],
        changed_at=now,
    )
    application.status = to_status
    application.save(update_fields=["status"])
    done = MILESTONE_DONE.get(to_status)
    if done:
        application.milestones.filter(code=done, completed_at__isnull=True).update(completed_at=now)
    return application


def application_state(application: CardApplication, language: str) -> dict[str, Any]:
    """The application as the customer's channel shows it (no file contents, no hashes)."""
    acknowledgement = current_acknowledgement(application, language)
    services = {service["code"]: service for service in application.card.value_added_services}
    return {
        "id": str(application.pk),
        "reference": application.reference,
        "card": application.card.code,
        "card_name": application.card.name(language),
        "status": application.status,
        "status_label": str(Status(application.status).label),
        "submitted_at": application.submitted_at,
        "documents": [
            {
                "kind": document.kind,
                "content_type": document.content_type,
                "size": document.size,
                "valid_until": document.valid_until,
                "uploaded_at": document.uploaded_at,
            }
            for document in application.documents.order_by("uploaded_at", "id")
        ],
        "precheck": application_precheck(application, language),
        "value_added_services": [
            {"code": code, "name": pick(services.get(code), language)}
            for code in application.value_added_services
        ],
        "services_decided": application.services_decided_at is not None,
        "disclosure": {
            "version": acknowledgement.version,
            "acknowledged_at": acknowledgement.acknowledged_at,
            "channel": acknowledgement.channel,
        }
        if acknowledgement
        else None,
        "history": [
            {
                "from": change.from_status,
                "to": change.to_status,
                "at": change.changed_at,
                "by": change.actor,
            }
            for change in application.history.all()
        ],
        "timeline": [
            {
                "code": milestone.code,
                "label": milestone.label(language),
                "expected_on": milestone.expected_on,
                "completed_at": milestone.completed_at,
            }
            for milestone in application.milestones.all()
        ],
    }


@transaction.atomic
def application_document_date(
    *, session: DialogueSession, kind: str, valid_until: date
) -> ApplicationDocument:
    """Record the validity end date of the latest uploaded document of `kind` (read from the
    customer's words or the app's form)."""
    application = _draft(session)
    document = application.documents.filter(kind=kind).order_by("-uploaded_at", "-id").first()
    if document is None:
        raise ApplicationError(f"no {kind!r} document has been uploaded")
    document.valid_until = valid_until
    document.save(update_fields=["valid_until"])
    return document
