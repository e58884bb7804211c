"""Serving evidence files through expiring, signed links, and the public ledger digest."""

from __future__ import annotations

import logging

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from baqylau.evidence import checkpoints, services
from baqylau.evidence.ledger import head
from baqylau.evidence.models import MediaFile
from baqylau.evidence.selectors import published_digests

logger = logging.getLogger(__name__)

PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def _refuse(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    for name, value in PRIVATE_HEADERS.items():
        response[name] = value
    return response


@require_safe
def media(request: HttpRequest, token: str) -> HttpResponse:
    """Stream one evidence file if the link is genuine, unexpired and issued to this user."""
    try:
        grant = services.read_link(token)
    except services.LinkExpired:
        return _refuse(410, "This link has expired.")
    except services.LinkInvalid:
        return _refuse(403, "Invalid link.")
    user = request.user
    if grant.user_id is not None and (not user.is_authenticated or str(user.pk) != grant.user_id):
        return _refuse(403, "This link was issued to another user.")
    if grant.variant == "original" and (
        grant.user_id is None or not user.has_perm("evidence.view_original")
    ):
        return _refuse(403, "Originals need the evidence.view_original permission.")
    item = MediaFile.objects.filter(pk=grant.media_id).first()
    if item is None:
        return _refuse(404, "Not found.")
    try:
        path = services.open_variant(item, grant.variant)
        handle = path.open("rb")
    except (services.EvidenceError, OSError):
        logger.error("evidence file of media %s (%s) is unavailable", item.pk, grant.variant)
        return _refuse(404, "Not found.")
    if grant.variant == "display":
        content_type, extension = "image/jpeg", "jpg"
    else:
        content_type = item.content_type
        extension = services.ACCEPTED.get(content_type, ("", None, "bin"))[2]
        logger.info("original of media %s served to user %s", item.pk, grant.user_id)
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=grant.variant == "original",
        filename=f"evidence-{item.pk}-{grant.variant}.{extension}",
    )
    for name, value in PRIVATE_HEADERS.items():
        response[name] = value
    return response


@require_safe
def ledger_digest(request: HttpRequest) -> JsonResponse:
    """The published root digests of the ledger (latest first), and where its signed checkpoints
    are, for anyone to keep a copy of."""
    digests = list(published_digests())
    seq, _hash = head()
    last = checkpoints.latest()
    data = {
        "algorithm": "sha256",
        "canonical_form": "RFC 8785 (JSON Canonicalization Scheme), UTF-8",
        "scheme": (
            "content_hash = sha256(jcs(content)); entry_hash = sha256(jcs([prev_hash, seq, "
            "kind, ref, content_hash, created_at])); the first prev_hash is 64 zeros"
        ),
        "latest": digests[0].as_dict() if digests else None,
        "published": [d.as_dict() for d in digests],
        "entries": seq,
        "checkpoints": {
            "url": request.build_absolute_uri(reverse("evidence:ledger-checkpoints")),
            "signature": "ed25519 over jcs({seq, head_hash, at, key})",
            "public_key": checkpoints.public_key(),
            "latest": last,
        },
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def ledger_checkpoints(request: HttpRequest) -> HttpResponse:
    """Every signed checkpoint of the ledger's head (JSON Lines, oldest first)."""
    path = checkpoints.checkpoint_file()
    body = path.read_bytes() if path.exists() else b""
    response = HttpResponse(body, content_type="application/jsonl; charset=utf-8")
    response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response
