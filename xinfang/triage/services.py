"""Triage writes: the analysis recorded on a case after intake, and the text signatures."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from xinfang.cases.models import Case, CaseEvent, EventKind
from xinfang.cases.services import case_event_append, case_flags_set
from xinfang.cases.workflow import TERMINAL_STATES
from xinfang.catalog.models import Category
from xinfang.triage import minhash
from xinfang.triage.classifier import Prediction, get_model, model_dir
from xinfang.triage.fastchannel import FastKind, fast_detect
from xinfang.triage.gazetteer import Location, locate
from xinfang.triage.leaves import get_index
from xinfang.triage.models import TextBand, TextSignature
from xinfang.triage.selectors import (
    EarlierPetition,
    same_petitioner_cases,
    similar_cases_of_case,
)
from xinfang.triage.textnorm import petition_text, tokenize

# --- the triage of one petition ----------------------------------------------------------------

SIMILAR_LIMIT = 5
LEAF_LIMIT = 3


def case_triage(*, case: Case) -> CaseEvent | None:
    """Classify, locate, check the fast channel and look for near-identical petitions; record
    the suggestions with their evidence as one TRIAGE event (once: jobs may run twice).

    A fast-channel match flags the case for the simple procedure (and a safety hazard as
    urgent); staff confirm or change everything else on the workbench.
    """
    if case.events.filter(kind=EventKind.TRIAGE).exists():
        return None
    text = petition_text(case.title, case.content)  # as the classifier was trained and evaluated
    tokens = tokenize(text)  # once: the classifier and the leaf scorer read the same words
    prediction = get_model().predict_tokens(tokens)
    place = locate(text, within=case.region.code[:2])
    fast = fast_detect(text)
    text_signature_store(case_id=case.pk, text=text)
    similar = similar_cases_of_case(case_id=case.pk, limit=SIMILAR_LIMIT)
    numbers = dict(
        Case.objects.filter(pk__in=[c for c, _ in similar]).values_list("pk", "item_number")
    )
    earlier = same_petitioner_cases(case=case)
    payload: dict[str, Any] = {
        "category": {
            "label": prediction.label,
            "top": [[n, round(p, 3)] for n, p in prediction.top],
            "leaves": _leaves(case, tokens, prediction),
        },
        "location": _location(place),
        "fast": [{"kind": s.kind.value, "evidence": list(s.evidence)} for s in fast],
        "similar": [
            {"case": c, "item_number": numbers.get(c, ""), "score": round(j, 3)} for c, j in similar
        ],
        "repeats": [
            {
                "case": e.case_id,
                "item_number": e.item_number,
                "status": e.status,
                "score": round(e.similarity, 3),
                "same_matter": e.same_matter,
                "matter": e.matter,
                "level_skip": _level_skip(case, e),
            }
            for e in earlier
        ],
    }
    with transaction.atomic():
        if fast:
            flags = {"is_fast_track": True}
            if any(s.kind == FastKind.SAFETY for s in fast):
                flags["is_urgent"] = True
            case_flags_set(case=case, **flags)
        return case_event_append(case=case, kind=EventKind.TRIAGE, payload=payload)


def _level_skip(case: Case, earlier: EarlierPetition) -> bool:
    """越级: the same matter raised with a higher level while still open below it (N5)."""
    if not earlier.same_matter or earlier.status in TERMINAL_STATES:
        return False
    here = case.register_org.region.prefix
    there = earlier.region_code
    lower = earlier.register_org_id != case.register_org_id and there.startswith(here)
    return lower and len(earlier.register_prefix) > len(here)


def _location(place: Location | None) -> dict[str, Any] | None:
    if place is None:
        return None
    return {
        "code": place.code,
        "name": place.name,
        "surface": place.surface,
        "span": [place.start, place.end],
        "confidence": round(place.confidence, 2),
        "chain": [p.name for p in place.chain],
    }


def _leaves(case: Case, tokens: list[str], prediction: Prediction) -> list[dict[str, Any]]:
    """Third-level proposals under the likeliest first levels, with their catalogue codes.
    Matched by name path: the catalogue is editable, so a leaf renamed or switched off since
    the index was built is not proposed."""
    index = get_index(model_dir())
    if index is None:
        return []
    found = index.suggest(tokens, prediction.top, k=LEAF_LIMIT, title=tokenize(case.title))
    rows = Category.objects.filter(
        level=3, is_active=True, name__in={s.names[2] for s in found}
    ).select_related("parent__parent")
    codes = {
        (c.parent.parent.name, c.parent.name, c.name): c.code
        for c in rows
        if c.parent is not None and c.parent.parent is not None
    }
    return [
        {
            "code": codes[s.names],
            "path": s.path,
            "score": round(s.score, 3),
            "evidence": list(s.evidence),
        }
        for s in found
        if s.names in codes
    ]


# --- near-duplicate text (MinHash / LSH) -----------------------------------------------------


def text_signature_store(*, case_id: int, text: str) -> TextSignature | None:
    """Keep the MinHash signature and LSH band keys of a case's text (title and content, as
    the caller joins them), replacing any earlier ones. A text with no letters or digits
    keeps nothing and returns None."""
    sig = minhash.signature(text)
    with transaction.atomic():
        _text_signature_forget(case_id=case_id)
        if sig is None:
            return None
        row = TextSignature.objects.create(
            case_id=case_id, scheme=minhash.SCHEME, signature=minhash.to_bytes(sig)
        )
        TextBand.objects.bulk_create(_bands(case_id, sig), ignore_conflicts=True)
    return row


def text_signature_store_many(*, items: Iterable[tuple[int, str]], batch_size: int = 500) -> int:
    """Backfill: sign many (case_id, text) pairs of cases that have no signature yet, in
    batches of bulk inserts. Returns the number of signatures stored."""
    stored = 0
    batch: list[tuple[int, minhash.Signature]] = []
    for case_id, text in items:
        sig = minhash.signature(text)
        if sig is not None:
            batch.append((case_id, sig))
        if len(batch) >= batch_size:
            stored += _store_batch(batch)
            batch = []
    return stored + _store_batch(batch)


def text_band_purge() -> int:
    """Delete band keys whose case (and so signature) is gone: a periodic clean-up, since the
    band table has no index on the case (models.TextBand). Returns the rows deleted."""
    band, sig = TextBand._meta.db_table, TextSignature._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {band} WHERE NOT EXISTS "  # noqa: S608  (table names, no input)
            f"(SELECT 1 FROM {sig} s WHERE s.case_id = {band}.case_id)"
        )
        return int(cursor.rowcount)


def _text_signature_forget(*, case_id: int) -> None:
    old = TextSignature.objects.filter(case_id=case_id).first()
    if old is None:
        return
    if old.scheme == minhash.SCHEME:
        # Deleted by their primary key: the band table has no index on the case alone.
        keys = minhash.band_keys(minhash.from_bytes(bytes(old.signature)))
        TextBand.objects.filter(pk__in=[(b, h, case_id) for b, h in keys]).delete()
    old.delete()


def _bands(case_id: int, sig: minhash.Signature) -> list[TextBand]:
    return [TextBand(band=b, band_hash=h, case_id=case_id) for b, h in minhash.band_keys(sig)]


def _store_batch(batch: list[tuple[int, minhash.Signature]]) -> int:
    if not batch:
        return 0
    with transaction.atomic():
        TextSignature.objects.bulk_create(
            [
                TextSignature(case_id=cid, scheme=minhash.SCHEME, signature=minhash.to_bytes(s))
                for cid, s in batch
            ]
        )
        TextBand.objects.bulk_create(
            [band for cid, s in batch for band in _bands(cid, s)], ignore_conflicts=True
        )
    return len(batch)
