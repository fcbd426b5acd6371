"""Who receives a notice, on which medium, in which language.

Citizens: the main petitioner's chosen channel (ChannelPreference, keyed by the phone's blind
index), by default the channel the petition came in on (a leader-mailbox letter is answered by
e-mail, a WeChat message on WeChat), else SMS to the petitioner's mobile. Anonymous petitions
reach only the contact points they gave. Proxies (代理人) are told as well, on their own address.
Staff: the users of the unit concerned whose role acts on the milestone, by e-mail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation

from xinfang.cases.models import Case, CaseEvent, Channel, EventKind
from xinfang.cases.selectors import case_main_petitioner
from xinfang.core import validators
from xinfang.notify.contacts import contact_index
from xinfang.notify.milestones import LEGALLY_REQUIRED, Milestone
from xinfang.notify.models import (
    Audience,
    ContactPoint,
    ContactRole,
    Medium,
    Notification,
    PreferredChannel,
)
from xinfang.notify.selectors import preference_get
from xinfang.orgs.models import Membership, User
from xinfang.orgs.permissions import Role

DEFAULT_LANGUAGE = "zh-hans"

# The medium a channel's petitioners already use; anything else hears back by SMS.
CHANNEL_MEDIUM: dict[str, Medium] = {
    Channel.MAILBOX: Medium.EMAIL,
    Channel.WECHAT: Medium.WECHAT,
}

# Staff roles told about a milestone in the unit concerned: those who sign, route or handle.
STAFF_ROLES: frozenset[str] = frozenset({Role.REGISTRAR, Role.HANDLER, Role.UNIT_LEADER})


@dataclass(frozen=True)
class Recipient:
    medium: str
    address: str
    contact_point: ContactPoint | None = None
    user: User | None = None

    @property
    def index(self) -> str:
        return contact_index(medium=self.medium, address=self.address)


def _mobile(phone: str) -> str:
    number = validators.normalize_phone(phone or "")
    return number if validators.is_mobile(number) else ""


def _main_phone(case: Case) -> tuple[str, str]:
    """(mobile number, blind index) of the named main petitioner, or empty strings."""
    if case.is_anonymous:
        return "", ""
    main = case_main_petitioner(case=case)
    if main is None:
        return "", ""
    return _mobile(main.phone), main.phone_index


def _by_medium(points: Iterable[ContactPoint], phone: str) -> dict[str, list[Recipient]]:
    found: dict[str, list[Recipient]] = {}
    if phone:
        found[Medium.SMS] = [Recipient(Medium.SMS, phone)]
    for point in points:
        found.setdefault(point.medium, []).append(Recipient(point.medium, point.address, point))
    return found


def citizen_recipients(*, case: Case, milestone: Milestone) -> tuple[list[Recipient], str]:
    """The addresses a citizen notice goes to, and the language to write it in."""
    points = list(case.contact_points.all())
    phone, index = _main_phone(case)
    pref = preference_get(phone_index=index)
    own = _by_medium([p for p in points if p.role == ContactRole.PETITIONER], phone)
    default = CHANNEL_MEDIUM.get(case.channel, Medium.SMS)
    choice = pref.channel if pref else default
    chosen: list[Recipient] = []
    if choice == PreferredChannel.NONE and milestone in LEGALLY_REQUIRED:
        choice = default
    if choice != PreferredChannel.NONE and own:
        chosen = own.get(choice) or own.get(Medium.SMS) or next(iter(own.values()))
    proxies = [Recipient(p.medium, p.address, p) for p in points if p.role == ContactRole.PROXY]
    return _unique([*chosen, *proxies]), (pref.language if pref and pref.language else "")


def _unique(recipients: Iterable[Recipient]) -> list[Recipient]:
    seen: dict[tuple[str, str], Recipient] = {}
    for r in recipients:
        seen.setdefault((r.medium, r.address.strip().lower()), r)
    return list(seen.values())


def staff_recipients(*, case: Case, org_ids: Iterable[int]) -> list[Recipient]:
    """E-mail to the acting staff of each unit: the case's own handler where they belong to
    the unit (not the whole office), the unit's leaders always."""
    rows = Membership.objects.filter(
        org_id__in=list(org_ids),
        role__in=STAFF_ROLES,
        is_active=True,
        user__is_active=True,
    ).select_related("user")
    memberships = [m for m in rows.order_by("org_id", "user_id") if m.user.email]
    handler_orgs = {m.org_id for m in memberships if m.user_id == case.handler_id}
    chosen = [
        m
        for m in memberships
        if m.org_id not in handler_orgs
        or m.user_id == case.handler_id
        or m.role == Role.UNIT_LEADER
    ]
    return _unique(Recipient(Medium.EMAIL, m.user.email, user=m.user) for m in chosen)


def _supported(language: str) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    language = language.lower()
    return next(
        (c for c in codes if language == c or language.startswith(f"{c}-")), DEFAULT_LANGUAGE
    )


def citizen_language(*, case: Case, event: CaseEvent, preferred: str) -> str:
    """The citizen's language: their choice, else the one their first notice used, else the
    language the petition was submitted in (the request's, when intake runs in one)."""
    if preferred:
        return _supported(preferred)
    if event.kind == EventKind.RECEIVED:  # the first notice: nothing to look up yet
        return _supported(str(translation.get_language()))
    first = (
        Notification.objects.filter(case=case, audience=Audience.CITIZEN)
        .order_by("pk")
        .values_list("language", flat=True)
        .first()
    )
    return first or DEFAULT_LANGUAGE
