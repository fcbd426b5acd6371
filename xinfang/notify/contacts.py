"""Contact points: the addresses channels record with a new petition."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from xinfang.cases.models import Case
from xinfang.core.crypto import blind_index
from xinfang.core.validators import normalize_phone
from xinfang.notify.models import ContactPoint, ContactRole, Medium

CONTACT_INDEX_CONTEXT = "contact.address"


@dataclass(frozen=True)
class Contact:
    medium: str  # notify.models.Medium
    address: str
    role: str = ContactRole.PETITIONER


def contact_phone(raw: str, *, role: str = ContactRole.PETITIONER) -> Contact:
    """An SMS contact point for a phone number as typed (spaces, +86 … normalised)."""
    return Contact(Medium.SMS, normalize_phone(raw), role)


def contact_index(*, medium: str, address: str) -> str:
    """Blind index of an address: the same sender or openid finds its other petitions."""
    return blind_index(f"{medium}:{address.strip().lower()}", context=CONTACT_INDEX_CONTEXT)


def contacts_record(*, case: Case, contacts: Iterable[Contact]) -> None:
    """Store the case's contact points (called inside the intake transaction)."""
    rows = {}
    for contact in contacts:
        address = contact.address.strip()
        if not address:
            continue
        index = contact_index(medium=contact.medium, address=address)
        rows[(contact.medium, index)] = ContactPoint(
            case=case,
            medium=contact.medium,
            address=address,
            address_index=index,
            role=contact.role,
        )
    ContactPoint.objects.bulk_create(rows.values())
