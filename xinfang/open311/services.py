"""Writes behind GeoReport: issuing API keys, and turning a POST requests into one petition.

Exactly once. GeoReport has no idempotency mechanism, so a repeated delivery is recognised in
one of two ways:

* the client sends an `Idempotency-Key` header (as on /api/v1/petitions): the petition's key is
  derived from (api key, that header) and holds for ever, and the same key with a different body
  is refused;
* otherwise the delivery's fingerprint — a digest of every parameter it carried, api_key aside —
  is the key: the same body from the same api key within REPLAY_WINDOW is the same petition.
  The window is long because the commonest client (FixMyStreet's Open311 sender) retries an
  unconfirmed report on its next cron runs, not seconds later; the same text from the same
  account a day later is a new petition, which triage then marks as a repeat. The key carries
  the window's number so the unique constraint also settles two identical POSTs racing; an
  earlier window is found by look-up (two racing deliveries exactly astride a window boundary
  would both be accepted — accepted as a cost of not keeping a lock table).

Where the problem is (the petition's region, which decides the receiving bureau): attribute
[region] if given; else the place the gazetteer finds in address_string; else the region of
the jurisdiction_id, else that of the api key. lat/long and address_id are kept but cannot be
resolved to a division offline, so on their own they are not enough.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone

from xinfang.audit.models import AuditAction
from xinfang.audit.services import credential_audit
from xinfang.cases.models import Case, Channel
from xinfang.catalog.models import Category
from xinfang.core.credentials import credential_digest, credential_new
from xinfang.core.errors import ApplicationError, Conflict, FieldErrors, Msg
from xinfang.intake.services import petition_submit
from xinfang.intake.text import delivery_key, title_derive
from xinfang.notify.contacts import Contact, contact_phone
from xinfang.notify.models import Medium
from xinfang.open311 import errors as e
from xinfang.open311 import selectors as s
from xinfang.open311.models import ApiKey, Open311Request
from xinfang.orgs.models import Org, Region, User
from xinfang.orgs.selectors import region_get
from xinfang.triage.gazetteer import locate_sure

REPLAY_WINDOW = timedelta(hours=24)
DESCRIPTION_MAX = 4000
# Text parameters and their longest accepted length (description has its own message).
_LIMITS = {
    "service_code": 16,
    "address_string": 500,
    "address_id": 64,
    "email": 254,
    "device_id": 200,
    "account_id": 200,
    "first_name": 32,
    "last_name": 32,
    "phone": 20,
    "media_url": 1000,
}
_CJK = re.compile(r"[\u3400-\u9fff]")
_CLIENT_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")
_FLAGS = frozenset({"true", "false"})

# Intake's field names → the GeoReport parameter the client sent.
_PARAMS = {
    "title": "attribute[title]",
    "content": "description",
    "petition_type": "attribute[petition_type]",
    "region_code": "attribute[region]",
    "category_code": "service_code",
    "anonymous": "attribute[anonymous]",
    "consent_publish": "attribute[consent_publish]",
    "petitioner.name": "first_name",
    "petitioner.phone": "phone",
}


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw: str  # shown to the issuer once; only its digest is stored


def _key_audit(action: AuditAction, key: ApiKey, actor: User | None) -> None:
    credential_audit(
        action=action,
        actor=actor,
        object_type="open311.apikey",
        object_id=key.pk,
        name=key.owner,
        hint=key.prefix,
    )


@transaction.atomic
def api_key_issue(
    *,
    owner: str,
    contact: str = "",
    org: Org | None = None,
    region: Region | None = None,
    returns_token: bool = False,
    raw: str = "",
    actor: User | None = None,
) -> IssuedKey:
    new = credential_new(raw=raw)
    key = ApiKey.objects.create(
        owner=owner,
        contact=contact,
        org=org,
        region=region,
        prefix=new.hint,
        digest=new.digest,
        returns_token=returns_token,
    )
    _key_audit(AuditAction.CREDENTIAL_ISSUE, key, actor)
    return IssuedKey(api_key=key, raw=new.raw)


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: User | None = None) -> None:
    """The key stops working at once; the requests filed with it keep pointing at it. A
    revoked key is never re-enabled: the client gets a new one (api_key_issue)."""
    if not ApiKey.objects.filter(pk=api_key.pk, is_active=True).update(is_active=False):
        return  # already revoked: nothing happened, nothing to audit
    api_key.is_active = False
    _key_audit(AuditAction.CREDENTIAL_REVOKE, api_key, actor)


def api_key_authenticate(*, raw: str) -> ApiKey:
    """The active key `raw` is, or a 403 (missing and wrong keys alike)."""
    if not raw:
        raise e.Open311Error.one(403, e.API_KEY_MISSING, "api_key")
    key = ApiKey.objects.filter(digest=credential_digest(raw), is_active=True).first()
    if key is None:
        raise e.Open311Error.one(403, e.API_KEY_INVALID, "api_key")
    return key


@dataclass(frozen=True)
class Delivery:
    """The parameters of one POST requests, as sent (api_key and jurisdiction_id aside)."""

    service_code: str
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    description: str = ""
    media_url: str = ""

    def attribute(self, code: str) -> str:
        values = self.attributes.get(code) or [""]
        return values[0].strip()


@dataclass(frozen=True)
class Submitted:
    case: Case
    request: Open311Request
    created: bool
    secret: str = ""  # an anonymous petition's tracking secret, on creation only


def delivery_fingerprint(*, api_key: ApiKey, delivery: Delivery) -> str:
    body = {"key": api_key.pk, **asdict(delivery)}
    body["attributes"] = {k: list(vals) for k, vals in sorted(delivery.attributes.items())}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def open311_request_submit(
    *,
    api_key: ApiKey,
    delivery: Delivery,
    jurisdiction: Region | None,
    client_key: str = "",
) -> Submitted:
    """Turn a delivery into a petition (channel open311) through the intake service, once."""
    if client_key and not _CLIENT_KEY.match(client_key):
        raise e.Open311Error.one(400, e.IDEMPOTENCY_KEY_INVALID, "Idempotency-Key")
    category = _service(delivery)
    problems = _check(delivery)
    region = _place(delivery, jurisdiction, api_key, problems)
    if problems or region is None:
        raise e.Open311Error.fields(problems)
    now = timezone.now()
    fingerprint = delivery_fingerprint(api_key=api_key, delivery=delivery)
    if not client_key and (earlier := _recent(api_key, fingerprint, now)):
        return Submitted(case=earlier.case, request=earlier, created=False)
    submitted = _store(
        api_key=api_key,
        delivery=delivery,
        data=_petition_data(delivery, category, region),
        key=_idempotency_key(api_key, fingerprint, client_key, now),
        fingerprint=fingerprint,
        now=now,
    )
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return submitted


def _store(
    *,
    api_key: ApiKey,
    delivery: Delivery,
    data: dict[str, object],
    key: str,
    fingerprint: str,
    now: datetime,
) -> Submitted:
    # One transaction: the delivery row exists if and only if the petition does.
    with _georeport_errors(), transaction.atomic():
        receipt = petition_submit(
            channel=Channel.OPEN311,
            data=data,
            idempotency_key=key,
            contacts=_contacts(delivery, anonymous=not data.get("petitioner")),
        )
        if not receipt.created:
            # Keys are unique per channel and only this service writes open311 petitions,
            # always with their row, so the earlier delivery's row is there.
            earlier = Open311Request.objects.get(case=receipt.case)
            return Submitted(case=receipt.case, request=earlier, created=False)
        request = Open311Request.objects.create(
            case=receipt.case,
            api_key=api_key,
            token=secrets.token_urlsafe(16),
            fingerprint=fingerprint,
            lat=coordinate(delivery.lat, 90.0) if delivery.lat else None,
            long=coordinate(delivery.long, 180.0) if delivery.long else None,
            address_string=delivery.address_string,
            address_id=delivery.address_id,
            media_url=delivery.media_url,
            created_at=now,
        )
    return Submitted(case=receipt.case, request=request, created=True, secret=receipt.secret)


@contextmanager
def _georeport_errors() -> Iterator[None]:
    """Intake's refusals as GeoReport errors, naming the parameters the client sent."""
    try:
        yield
    except FieldErrors as exc:
        raise e.Open311Error.fields(
            {_PARAMS.get(name, name): msgs for name, msgs in exc.errors.items()}
        ) from exc
    except Conflict as exc:  # the same Idempotency-Key with another body
        raise e.Open311Error.one(400, exc.message, "Idempotency-Key", code=409) from exc
    except ApplicationError as exc:
        raise e.Open311Error.one(400, exc.message) from exc


def _service(delivery: Delivery) -> Category:
    if not delivery.service_code:
        raise e.Open311Error.one(400, e.SERVICE_CODE_MISSING, "service_code")
    category = s.service_get(code=delivery.service_code)
    if category is None:
        raise e.Open311Error.one(404, e.SERVICE_CODE_UNKNOWN, "service_code")
    return category


def _check(delivery: Delivery) -> dict[str, list[Msg]]:
    """What is wrong with the delivery before the petition itself is validated."""
    problems: dict[str, list[Msg]] = {}

    def fail(param: str, msg: Msg) -> None:
        problems.setdefault(param, []).append(msg)

    for param, limit in _LIMITS.items():
        if len(getattr(delivery, param)) > limit:
            fail(param, e.TOO_LONG)
    if not (delivery.lat or delivery.long):
        if not (delivery.address_string or delivery.address_id):
            fail("address_string", e.LOCATION_MISSING)
    elif not (delivery.lat and delivery.long):
        fail("lat", e.LAT_LONG_PAIR)
    for axis, bound in (("lat", 90.0), ("long", 180.0)):
        if getattr(delivery, axis) and coordinate(getattr(delivery, axis), bound) is None:
            fail(axis, e.LAT_LONG_RANGE)
    if not delivery.description.strip():
        fail("description", e.DESCRIPTION_REQUIRED)
    elif len(delivery.description) > DESCRIPTION_MAX:
        fail("description", e.DESCRIPTION_TOO_LONG.format(limit=DESCRIPTION_MAX))
    for code, values in delivery.attributes.items():
        param = f"attribute[{code}]"
        if code not in s.INPUT_ATTRIBUTES:
            fail(param, e.ATTRIBUTE_UNKNOWN)
        elif len(values) > 1:
            fail(param, e.ATTRIBUTE_SINGLE)
        elif code in (s.ATTR_ANONYMOUS, s.ATTR_CONSENT) and values[0].strip() not in _FLAGS:
            fail(param, e.ATTRIBUTE_CHOICE)
    for param, check in (("email", _email_error), ("media_url", _url_error)):
        value = getattr(delivery, param)
        if value and (msg := check(value)):
            fail(param, msg)
    return problems


def coordinate(raw: str, bound: float) -> float | None:
    """A WGS84 coordinate within ±bound degrees, or None."""
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if -bound <= value <= bound else None  # also refuses NaN and infinities


def _email_error(value: str) -> Msg | None:
    try:
        validate_email(value)
    except ValidationError:
        return e.EMAIL_INVALID
    return None


def _url_error(value: str) -> Msg | None:
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return e.URL_INVALID
    return None


def _place(
    delivery: Delivery,
    jurisdiction: Region | None,
    api_key: ApiKey,
    problems: dict[str, list[Msg]],
) -> Region | None:
    """The region of the problem (see the module's docstring), or None with the reason noted."""
    province = settings.XINFANG_PROVINCE
    region: Region | None = None
    param = "attribute[region]"
    if code := delivery.attribute(s.ATTR_REGION):
        region = region_get(code=code)
        if region is None or not region.code.startswith(province):
            problems.setdefault(param, []).append(e.ATTRIBUTE_CHOICE)
            return None
    elif delivery.address_string:
        region = _address_region(delivery.address_string, province)
    region = region or jurisdiction or api_key.region
    if region is None:
        problems.setdefault("address_string", []).append(e.REGION_UNRESOLVED)
        return None
    for area in (jurisdiction, api_key.region):
        if area is not None and not region.code.startswith(area.prefix):
            problems.setdefault(param, []).append(e.REGION_OUTSIDE_KEY)
            return None
    return region


def _address_region(address: str, within: str) -> Region | None:
    """The region the address names, only when the gazetteer is sure (the rule of the other
    channels): an ambiguous or weak match names a common ancestor such as the province, which
    would send the petition to the wrong bureau, so the next rule decides instead."""
    found = locate_sure(address, within=within)
    return region_get(code=found.code) if found is not None else None


def _full_name(delivery: Delivery) -> str:
    first, last = delivery.first_name.strip(), delivery.last_name.strip()
    if _CJK.search(first + last):
        return last + first  # Chinese names: family name first, no space
    return " ".join(p for p in (first, last) if p)


def _petition_data(delivery: Delivery, category: Category, region: Region) -> dict[str, object]:
    """The intake payload. Anonymous when asked, or when neither a name nor a phone came: a
    named petition needs both (信访工作条例 Art. 23), and intake says which one is missing."""
    name = _full_name(delivery)
    anonymous = delivery.attribute(s.ATTR_ANONYMOUS) == "true" or not (name or delivery.phone)
    data: dict[str, object] = {
        "title": title_derive(
            subject=delivery.attribute(s.ATTR_TITLE),
            body=delivery.description,
            fallback=category.name,
        ),
        "content": delivery.description.strip(),
        "petition_type": delivery.attribute(s.ATTR_TYPE) or s.DEFAULT_PETITION_TYPE,
        "region_code": region.code,
        "category_code": category.code,
        "anonymous": anonymous,
        "consent_publish": delivery.attribute(s.ATTR_CONSENT) == "true",
    }
    if not anonymous:
        data["petitioner"] = {"name": name, "phone": delivery.phone.strip()}
    return data


def _contacts(delivery: Delivery, *, anonymous: bool) -> list[Contact]:
    """Where notices go: the e-mail the client gave, and the phone of a named petitioner."""
    contacts = []
    if delivery.email:
        contacts.append(Contact(Medium.EMAIL, delivery.email.strip()))
    if delivery.phone and not anonymous:
        contacts.append(contact_phone(delivery.phone))
    return contacts


def _recent(api_key: ApiKey, fingerprint: str, now: datetime) -> Open311Request | None:
    return (
        Open311Request.objects.filter(
            api_key=api_key, fingerprint=fingerprint, created_at__gte=now - REPLAY_WINDOW
        )
        .select_related("case")
        .order_by("-created_at")
        .first()
    )


def _idempotency_key(api_key: ApiKey, fingerprint: str, client_key: str, now: datetime) -> str:
    """The petition's key: open311:<key id>:k:<Idempotency-Key>, or
    open311:<key id>:f:<fingerprint>:<window> (delivery_key hashes one that is too long)."""
    if client_key:
        return delivery_key("open311", str(api_key.pk), "k", client_key)
    window = int(now.timestamp() // REPLAY_WINDOW.total_seconds())
    return delivery_key("open311", str(api_key.pk), "f", fingerprint, str(window))
