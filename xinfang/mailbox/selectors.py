"""Reads for leader mailboxes."""

from __future__ import annotations

from xinfang.mailbox.models import Mailbox


def mailbox_get_active(*, address: str) -> Mailbox | None:
    """The active mailbox for a recipient address (case-insensitive), with what intake needs."""
    return (
        Mailbox.objects.select_related("petition_type", "region", "owner_org")
        .filter(address__iexact=address.strip(), is_active=True)
        .first()
    )
