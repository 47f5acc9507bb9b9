"""Card applications: documents uploaded during the conversation, checked before anything else.

Only images and PDFs are accepted, identified by their first bytes (the declared content type
and file name are the client's word, not evidence); each file is hashed and stored under a
random name.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from bank_ai.i18n import pick
from scenarios.dialogue import DialogueError, record_funnel
from scenarios.models import ApplicationDocument, CardApplication, CardProduct, DialogueSession

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


class DocumentRejected(ValueError):
    """The upload is not a document this application can take."""


def sniff_content_type(head: bytes) -> str | None:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def required_kinds(card: CardProduct) -> list[str]:
    return [doc["code"] for doc in card.required_documents if doc.get("required", True)]


def application_for(session: DialogueSession) -> CardApplication:
    code = session.memory.get("chosen_card")
    if not code:
        raise DialogueError("choose a card before uploading documents")
    card = CardProduct.objects.get(code=code)
    application, created = CardApplication.objects.get_or_create(
        session=session, defaults={"card": card}
    )
    if not created and application.card_id != card.pk:
        if application.documents.exists() or application.status != CardApplication.Status.DRAFT:
            raise DialogueError("this session already has an application for another card")
        application.card = card
        application.save(update_fields=["card"])
    return application


@transaction.atomic
def application_document_upload(
    *, session: DialogueSession, kind: str, upload: UploadedFile
) -> ApplicationDocument:
    application = application_for(session)
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


def application_precheck(application: CardApplication, language: str) -> dict[str, Any]:
    """Which required documents are still missing, named in the customer's language."""
    uploaded = set(application.documents.values_list("kind", flat=True))
    missing = [
        doc
        for doc in application.card.required_documents
        if doc.get("required", True) and doc["code"] not in uploaded
    ]
    return {
        "complete": not missing,
        "missing": [{"kind": doc["code"], "name": pick(doc, language)} for doc in missing],
        "uploaded": sorted(uploaded),
    }
