"""Triage reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.db import connection
from django.db.models import Q

from xinfang.cases.models import Case
from xinfang.triage import matter, minhash
from xinfang.triage.models import TextBand, TextSignature

# --- near-duplicate text (MinHash / LSH) -----------------------------------------------------

# Candidates whose signatures are compared, those sharing the most bands first: a bound on the
# work of one look-up even when a text was posted thousands of times.
MAX_CANDIDATES = 200


def similar_cases(
    *,
    text: str,
    limit: int = 10,
    threshold: float = 0.5,
    exclude_case_id: int | None = None,
) -> list[tuple[int, float]]:
    """Cases whose stored text is a near-duplicate of `text`: (case_id, Jaccard estimate)
    with estimate ≥ threshold, most similar first, at most `limit`. One SQL statement."""
    sig = minhash.signature(text)
    if sig is None:
        return []
    return similar_cases_by_signature(
        signature=sig, limit=limit, threshold=threshold, exclude_case_id=exclude_case_id
    )


def similar_cases_of_case(
    *, case_id: int, limit: int = 10, threshold: float = 0.5
) -> list[tuple[int, float]]:
    """Near-duplicates of a case already signed (text_signature_store), itself excluded."""
    row = TextSignature.objects.filter(case_id=case_id, scheme=minhash.SCHEME).first()
    if row is None:
        return []
    return similar_cases_by_signature(
        signature=minhash.from_bytes(bytes(row.signature)),
        limit=limit,
        threshold=threshold,
        exclude_case_id=case_id,
    )


def similar_cases_by_signature(
    *,
    signature: minhash.Signature,
    limit: int = 10,
    threshold: float = 0.5,
    exclude_case_id: int | None = None,
) -> list[tuple[int, float]]:
    params: list[int] = [minhash.SCHEME]
    for band, band_hash in minhash.band_keys(signature):
        params += (band, band_hash)
    params += (exclude_case_id or 0, MAX_CANDIDATES)
    with connection.cursor() as cursor:
        cursor.execute(_lookup_sql(), params)
        rows = cursor.fetchall()
    scored = [
        (int(case_id), minhash.jaccard_estimate(signature, minhash.from_bytes(bytes(raw))))
        for case_id, raw in rows
    ]
    scored = [item for item in scored if item[1] >= threshold]
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:limit]


@cache
def _lookup_sql() -> str:
    # One statement: each (band, band_hash) pair is an index probe of the band table's
    # composite primary key (a BitmapOr on PostgreSQL, a MULTI-INDEX OR on SQLite), and the
    # candidates' signatures come back in the same round trip. Written in SQL because
    # building the same 32-way OR with the ORM took ~3 ms of Python per look-up.
    band, sig = TextBand._meta.db_table, TextSignature._meta.db_table
    keys = " OR ".join(["(band = %s AND band_hash = %s)"] * minhash.BANDS)
    return (
        f"SELECT s.case_id, s.signature FROM {sig} s WHERE s.scheme = %s AND s.case_id IN ("  # noqa: S608  (no input in the text)
        f"SELECT case_id FROM {band} WHERE ({keys}) AND case_id <> %s "
        "GROUP BY case_id ORDER BY COUNT(*) DESC, case_id LIMIT %s)"
    )


# --- the same petitioner again (R-REP-1) -------------------------------------------------------

SAME_MATTER = matter.SAME_TEXT  # 3-gram Jaccard estimate: the same matter whatever the words
REPEAT_WINDOW_DAYS = 365


@dataclass(frozen=True)
class EarlierPetition:
    case_id: int
    item_number: str
    status: str
    register_org_id: int
    register_prefix: str  # the registering organ's region prefix: how high it sits
    region_code: str
    similarity: float  # 0 when either text has no signature
    matter: str | None = None  # why it is the same matter (matter.matter_reason), or None

    @property
    def same_matter(self) -> bool:
        return self.matter is not None


def same_petitioner_cases(*, case: Case, limit: int = 10) -> list[EarlierPetition]:
    """Earlier petitions (last year) by the same person — matched by the blind index of the
    ID number or phone, never by plaintext — with how alike their texts are."""
    person = case.petitioners.filter(is_main=True).first()
    if person is None or not (person.id_index or person.phone_index):
        return []
    match = Q()
    if person.id_index:
        match |= Q(petitioners__id_index=person.id_index)
    if person.phone_index:
        match |= Q(petitioners__phone_index=person.phone_index)
    since = case.received_at - timedelta(days=REPEAT_WINDOW_DAYS)
    earlier = list(
        Case.objects.filter(match, received_at__gte=since, received_at__lte=case.received_at)
        .exclude(pk=case.pk)
        .distinct()
        .select_related("region", "register_org__region")
        .order_by("-received_at")[:limit]
    )
    if not earlier:
        return []
    signatures = _signatures([case.pk, *(c.pk for c in earlier)])
    mine = signatures.get(case.pk)
    text: matter.MatterText | None = None  # segmented only if a shared-phrase test fails
    found = []
    for c in earlier:
        theirs = signatures.get(c.pk)
        jaccard = 0.0
        if mine is not None and theirs is not None:
            jaccard = minhash.jaccard_estimate(mine, theirs)
        reason: str | None = "text"
        if jaccard < matter.SAME_TEXT:
            text = text or matter.matter_text(case.title, case.content)
            other = matter.matter_text(c.title, c.content)
            reason = matter.matter_reason(text, other, jaccard=jaccard)
        found.append(
            EarlierPetition(
                c.pk,
                c.item_number,
                c.status,
                c.register_org_id,
                c.register_org.region.prefix,
                c.region.code,
                jaccard,
                reason,
            )
        )
    return found


def _signatures(case_ids: list[int]) -> dict[int, minhash.Signature]:
    rows = TextSignature.objects.filter(case_id__in=case_ids, scheme=minhash.SCHEME)
    return {r.case_id: minhash.from_bytes(bytes(r.signature)) for r in rows}
