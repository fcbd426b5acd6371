"""Titles and delivery keys for channels whose messages do not come as a petition form."""

from __future__ import annotations

import hashlib

from xinfang.intake.validation import TITLE_MAX, TITLE_MIN

TITLE_FROM_BODY = 30  # a title cut from the text: the length of a typical form title
KEY_MAX = 128


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, marked with "…" where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def title_derive(*, subject: str, body: str, fallback: str) -> str:
    """A petition title for a message that may have none (mail, 12345 order, Open311 request).

    The subject when it is long enough; else the subject and the text's first line; else
    `fallback` (e.g. the category or mailbox name) with that line; else `fallback` alone —
    so a short but valid message is never refused for its title.
    """
    subject = " ".join(subject.split())
    if len(subject) >= TITLE_MIN:
        return clip(subject, TITLE_MAX)
    first = next((line.strip() for line in body.splitlines() if line.strip()), "")
    for candidate in (
        "：".join(p for p in (subject, first) if p),
        "：".join(p for p in (fallback, subject or first) if p),
    ):
        title = clip(candidate, TITLE_FROM_BODY)
        if len(title) >= TITLE_MIN:
            return title
    return clip(fallback, TITLE_MAX)


def delivery_key(channel: str, *parts: str) -> str:
    """The idempotency key of one delivery: "<channel>:<part>:…" when short and printable
    ASCII, else "<channel>:h:<sha256 of the parts>" — never cut, as two long keys that share a
    beginning would then collide."""
    raw = ":".join((channel, *parts))
    if len(raw) <= KEY_MAX and raw.isascii() and raw.isprintable() and " " not in raw:
        return raw
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest()
    return f"{channel}:h:{digest}"
