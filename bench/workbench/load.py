"""Bulk loader for the workbench benchmark: a million petitions in minutes, not days.

    DATABASE_URL=postgres://…/xinfang_bench_workbench \\
        .venv/bin/python bench/workbench/load.py --petitions 1000000

Runs against a migrated and seeded database (regions, demo units, accounts, calendar: see
bench/common.py `database_seed`). Intake stores about 150 petitions/s, so this writes the rows
directly with COPY — but the rows are the ones the workflow would have left: every case walks
a legal path through cases.workflow.TRANSITIONS from receipt to its current state, with the
holder and lead units, access rows, clocks (running, stopped, warned, expired) and one event
per step that the services would have written. Content, region, type and channel come from
xinfang/demo/generator.py. Petitioners are not stored (their fields are encrypted, and no
queue reads them).

"Now" is the time of loading (t0, stored in the table `bench_workbench_meta`). The sweep is
taken to have last run `--backlog-hours` before t0 (a stopped worker): clocks that reached
their warning or due time since then are left for the benchmark's `sweep_run(now=t0)`.

The measured unit (`--unit`, default 430102-ZJ, the demo handler's county housing bureau)
gets a heavy backlog: `--unit-handle` open cases in its 待办理 queue and a long history.
Prints one JSON line with the row counts on stdout; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import log, meta_write  # noqa: E402  (needs ROOT on sys.path)

BATCH = 25_000
META_TABLE = "bench_workbench_meta"
LOADED_TABLES = ("cases_case", "cases_caseevent", "cases_caseclock", "cases_caseaccess")

# Final states of the general population, as shares of all petitions: most are closed, about
# 8 % still open, spread over the lifecycle (DOMAIN.md §4).
STATE_SHARES: dict[str, float] = {
    "closed": 0.860,
    "notified_redirect": 0.030,
    "diverted": 0.015,
    "not_accepted_repeat": 0.015,
    "received": 0.002,
    "registered": 0.003,
    "forwarded": 0.006,
    "assigned": 0.002,
    "objected": 0.0003,
    "accepted": 0.006,
    "in_handling": 0.035,
    "extended": 0.004,
    "hearing": 0.0003,
    "opinion_issued": 0.015,
    "report_submitted": 0.001,
    "completion_confirmed": 0.001,
    "reexam_requested": 0.002,
    "reexam_decided": 0.001,
    "review_requested": 0.0005,
}
# The measured unit's 待办理 queue (accepted / in handling / extended / hearing).
HANDLE_MIX = {"accepted": 0.15, "in_handling": 0.70, "extended": 0.12, "hearing": 0.03}
# Its other cases, per case in its handle queue: history and the other queues.
UNIT_OTHER_PER_HANDLE = {
    "closed": 5.0,
    "forwarded": 0.05,
    "assigned": 0.02,
    "objected": 0.005,
    "opinion_issued": 0.15,
    "report_submitted": 0.01,
    "completion_confirmed": 0.01,
    "reexam_requested": 0.01,
}

# The steps before each state (a legal path through cases.workflow.TRANSITIONS).
HANDLED = ("received", "registered", "forwarded", "accepted", "in_handling")
PATHS: dict[str, tuple[str, ...]] = {
    "received": ("received",),
    "registered": ("received", "registered"),
    "forwarded": ("received", "registered", "forwarded"),
    "assigned": ("received", "registered", "assigned"),
    "objected": ("received", "registered", "forwarded", "objected"),
    "accepted": ("received", "registered", "forwarded", "accepted"),
    "in_handling": HANDLED,
    "extended": (*HANDLED, "extended"),
    "hearing": (*HANDLED, "hearing"),
    "opinion_issued": (*HANDLED, "opinion_issued"),
    "report_submitted": (
        "received",
        "registered",
        "assigned",
        "accepted",
        "in_handling",
        "opinion_issued",
        "report_submitted",
    ),
    "completion_confirmed": (
        "received",
        "registered",
        "assigned",
        "accepted",
        "in_handling",
        "opinion_issued",
        "report_submitted",
        "completion_confirmed",
    ),
    "reexam_requested": (*HANDLED, "opinion_issued", "reexam_requested"),
    "reexam_decided": (*HANDLED, "opinion_issued", "reexam_requested", "reexam_decided"),
    "review_requested": (
        *HANDLED,
        "opinion_issued",
        "reexam_requested",
        "reexam_decided",
        "review_requested",
    ),
    "notified_redirect": ("received", "registered", "notified_redirect"),
    "diverted": ("received", "registered", "diverted"),
    "not_accepted_repeat": ("received", "registered", "not_accepted_repeat"),
}
# How a closed case got there: close reason → the steps before CLOSED.
CLOSED_PATHS: dict[str, tuple[str, ...]] = {
    "no_reexam_in_time": (*HANDLED, "opinion_issued"),
    "advice_replied": ("received", "registered", "forwarded", "accepted"),
    "withdrawn": HANDLED,
    "no_review_in_time": (*HANDLED, "opinion_issued", "reexam_requested", "reexam_decided"),
    "review_final": (
        *HANDLED,
        "opinion_issued",
        "reexam_requested",
        "reexam_decided",
        "review_requested",
        "review_decided",
    ),
    "accusation_transferred": ("received", "registered"),
    "legal_track_concluded": ("received", "registered"),
}
CLOSE_WEIGHTS = {
    "appeal": {
        "no_reexam_in_time": 80,
        "withdrawn": 8,
        "no_review_in_time": 5,
        "review_final": 2,
        "legal_track_concluded": 5,
    },
    "advice": {"advice_replied": 75, "no_reexam_in_time": 20, "withdrawn": 5},
    "accusation": {"accusation_transferred": 85, "no_reexam_in_time": 15},
}
# Hours from the previous step to this one (uniform range).
STEP_HOURS: dict[str, tuple[float, float]] = {
    "registered": (1, 72),
    "forwarded": (2, 240),
    "assigned": (2, 240),
    "objected": (2, 100),
    "accepted": (1, 110),
    "in_handling": (0.2, 72),
    "extended": (900, 1300),
    "hearing": (120, 900),
    "opinion_issued": (100, 1380),
    "report_submitted": (24, 240),
    "completion_confirmed": (24, 240),
    "reexam_requested": (24, 700),
    "reexam_decided": (120, 700),
    "review_requested": (24, 700),
    "review_decided": (120, 700),
    "notified_redirect": (2, 240),
    "diverted": (2, 240),
    "not_accepted_repeat": (2, 240),
}
CLOSE_HOURS: dict[str, tuple[float, float]] = {
    "no_reexam_in_time": (720, 721),  # the 30-day window ran out; the sweep closed it
    "no_review_in_time": (720, 721),
    "review_final": (0, 0.01),
    "advice_replied": (24, 600),
    "withdrawn": (24, 900),
    "accusation_transferred": (24, 300),
    "legal_track_concluded": (24, 300),
}
# Hours an open case has been in its current state at t0 (uniform range).
DWELL_HOURS: dict[str, tuple[float, float]] = {
    "received": (0, 72),
    "registered": (0, 290),
    "forwarded": (0, 170),
    "assigned": (0, 170),
    "objected": (0, 120),
    "accepted": (0, 110),
    "in_handling": (0, 1600),  # some past the 60 days: overdue
    "extended": (0, 700),
    "hearing": (0, 500),
    "opinion_issued": (0, 740),
    "report_submitted": (0, 240),
    "completion_confirmed": (0, 740),
    "reexam_requested": (0, 740),
    "reexam_decided": (0, 740),
    "review_requested": (0, 740),
}
CLOSED_YEARS = 5.0  # closed cases closed up to this long before t0

# Clocks each step starts: (kind, deadline profile or "+N" calendar days without a profile).
STARTS: dict[str, tuple[tuple[str, str], ...]] = {
    "received": (("route", "route-15d"),),
    "forwarded": (("notice", "notice-15d"), ("objection", "objection-5wd")),
    "assigned": (("notice", "notice-15d"), ("objection", "objection-5wd"), ("report", "+30")),
    "accepted": (("handle", "HANDLE"),),
    "opinion_issued": (("reexam_window", "reexam-request-30d"), ("rating_window", "+30")),
    "reexam_requested": (("reexam_decide", "reexam-decide-30d"),),
    "reexam_decided": (("review_window", "review-request-30d"),),
    "review_requested": (("review_decide", "review-decide-30d"),),
}
# Clocks each step stops (terminal states stop every running clock).
STOPS: dict[str, frozenset[str]] = {
    "forwarded": frozenset({"route"}),
    "assigned": frozenset({"route"}),
    "objected": frozenset({"notice", "objection"}),
    "accepted": frozenset({"route", "notice", "objection", "report"}),
    "opinion_issued": frozenset({"handle"}),
    "reexam_requested": frozenset({"reexam_window"}),
    "reexam_decided": frozenset({"reexam_decide"}),
    "review_requested": frozenset({"review_window"}),
    "review_decided": frozenset({"review_decide"}),
}
TERMINAL = frozenset({"closed", "notified_redirect", "diverted", "not_accepted_repeat"})
DUTY = frozenset({"route", "notice", "handle", "report", "reexam_decide", "review_decide"})
# Who holds the case (must act next) in each open state: register / lead / reexam / review.
HOLDER: dict[str, str] = {
    "received": "register",
    "registered": "register",
    "forwarded": "lead",
    "assigned": "lead",
    "objected": "register",
    "accepted": "lead",
    "in_handling": "lead",
    "extended": "lead",
    "hearing": "lead",
    "report_submitted": "register",
    "reexam_requested": "reexam",
    "review_requested": "review",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--petitions", type=int, default=1_000_000)
    p.add_argument("--unit", default="430102-ZJ", help="the measured unit's code (430102-ZJ)")
    p.add_argument(
        "--unit-handle",
        type=int,
        default=0,
        help="cases in the unit's handle queue (default: 0.3 %% of --petitions, at least 100)",
    )
    p.add_argument("--backlog-hours", type=float, default=72, help="since the last sweep (72)")
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args(argv)
    if args.petitions < 1000:
        p.error("--petitions must be at least 1000")
    args.unit_handle = args.unit_handle or max(100, round(args.petitions * 0.003))
    return args


# --- reference data -----------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    region_id: int
    code: str
    name: str
    county: str  # the county-level division code that owns its units


@dataclass
class Refs:
    places: list[Place]
    unit_places: list[Place]
    orgs: dict[str, int]
    types: dict[str, tuple[int, str, str]]  # code → (id, statutory kind, handling profile)
    leaves: dict[str, list[int]]  # first-level category name → leaf category ids
    dept_for: dict[str, str]  # first-level category name → department code suffix
    handler_id: int | None


def refs_load(unit_code: str) -> Refs:
    from xinfang.catalog.models import Category, PetitionType
    from xinfang.demo.units import DEPARTMENTS
    from xinfang.orgs.models import Membership, Org, Region, RegionLevel

    places = [
        Place(r.pk, r.code, r.name, r.code[:6])
        for r in Region.objects.filter(level__in=(RegionLevel.COUNTY, RegionLevel.TOWNSHIP))
    ]
    unit = Org.objects.select_related("region").get(code=unit_code)
    county = unit.region.code[:6]
    leaves: dict[str, list[int]] = {}
    for pk, top in Category.objects.filter(level=3).values_list("pk", "parent__parent__name"):
        leaves.setdefault(top, []).append(pk)
    handler = Membership.objects.filter(org=unit, is_active=True).order_by("pk").first()
    return Refs(
        places=places,
        unit_places=[p for p in places if p.county == county],
        orgs=dict(Org.objects.values_list("code", "pk")),
        types={
            t.code: (t.pk, t.kind, t.handling_profile.code if t.handling_profile else "handle-60d")
            for t in PetitionType.objects.select_related("handling_profile")
        },
        leaves=leaves,
        dept_for={cat: suffix for suffix, _p, _n, cats in DEPARTMENTS for cat in cats},
        handler_id=handler.user_id if handler else None,
    )


class Deadlines:
    """Due times from the project's deadline engine, cached per start day: day-based limits
    depend only on the local date they start on."""

    def __init__(self) -> None:
        from xinfang.catalog.models import DeadlineProfile

        self.profiles = {p.code: p for p in DeadlineProfile.objects.all()}

    @cache  # noqa: B019  (one instance per run)
    def _due(self, profile: str, day: date) -> tuple[datetime, datetime, bool]:
        from xinfang.clock.engine import TZ
        from xinfang.clock.selectors import deadline_compute

        start = datetime(day.year, day.month, day.day, 12, tzinfo=TZ)
        d = deadline_compute(profile=self.profiles[profile], start=start)
        return d.nominal, d.due, d.provisional

    def profile_id(self, code: str) -> int | None:
        profile = self.profiles.get(code)
        return profile.pk if profile else None

    def due(self, profile: str, start: datetime) -> tuple[datetime, datetime, bool]:
        from xinfang.clock.engine import TZ

        if profile.startswith("+"):
            end = start + timedelta(days=int(profile[1:]))
            return end, end, False
        return self._due(profile, start.astimezone(TZ).date())


# --- one case -----------------------------------------------------------------------------


@dataclass
class Clock:
    kind: str
    org: int | None
    profile_id: int | None
    started: datetime
    nominal: datetime
    due: datetime
    provisional: bool
    warn_at: datetime | None
    extended_days: int = 0
    stopped: datetime | None = None
    warned: datetime | None = None
    expired: datetime | None = None


@dataclass
class Built:
    case: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    clocks: list[Clock] = field(default_factory=list)
    access: list[tuple[int, str]] = field(default_factory=list)


class Builder:
    def __init__(
        self, refs: Refs, deadlines: Deadlines, t0: datetime, last_sweep: datetime, seed: int
    ) -> None:
        from django.conf import settings

        from xinfang.cases.services import _CODE_ALPHABET
        from xinfang.clock.engine import TZ
        from xinfang.demo.generator import petition

        self.refs, self.deadlines, self.t0, self.last_sweep = refs, deadlines, t0, last_sweep
        self.rng = random.Random(seed)
        self.petition = petition
        self.alphabet = _CODE_ALPHABET
        self.codes: set[str] = set()
        self.org_codes = {pk: code for code, pk in refs.orgs.items()}
        self.tz = TZ
        self.counters: Counter[tuple[int, int]] = Counter()
        self.warn_fraction = float(settings.XINFANG_WARN_FRACTION)
        self.rating_days = int(settings.XINFANG_RATING_WINDOW_DAYS)

    def _org(self, code: str) -> int | None:
        return self.refs.orgs.get(code)

    def _content(self, place: Place, unit_dept: str | None) -> Any:
        """A generated petition; for the measured unit, one within its remit."""
        while True:
            gen = self.petition(self.rng, region_code=place.code, place=place.name, now=self.t0)
            if unit_dept is None or self.refs.dept_for.get(gen.category_name) == unit_dept:
                return gen

    def _times(self, path: Sequence[str], final_at: datetime) -> list[datetime]:
        """Step times, walked back from the last one so every step lies before t0."""
        times = [final_at]
        for step in reversed(path[1:]):
            lo, hi = STEP_HOURS[step]
            times.append(times[-1] - timedelta(hours=self.rng.uniform(lo, hi)))
        times.reverse()
        return times

    def build(self, pk: int, state: str, unit: str | None) -> Built:
        rng = self.rng
        refs = self.refs
        unit_dept = unit.split("-", 1)[1] if unit else None
        place = rng.choice(refs.unit_places if unit else refs.places)
        gen = self._content(place, unit_dept)
        data = gen.data
        type_id, type_kind, handle_profile = refs.types[data["petition_type"]]
        close_reason = ""
        if state == "closed":
            weights = CLOSE_WEIGHTS.get(type_kind, CLOSE_WEIGHTS["advice"])
            close_reason = rng.choices(list(weights), weights=list(weights.values()))[0]
            path: tuple[str, ...] = (*CLOSED_PATHS[close_reason], "closed")
            times = self._times(path[:-1], self._closed_anchor())
            times.append(self._closed_at(close_reason, times[-1]))
        else:
            path = PATHS[state]
            lo, hi = DWELL_HOURS.get(state, (0, 240))
            times = self._times(path, self.t0 - timedelta(hours=rng.uniform(lo, hi)))

        register = self._org(f"{place.county}-XFJ")
        assert register is not None  # noqa: S101  (the demo seed has a bureau per county)
        handled = any(s in ("forwarded", "assigned", "accepted") for s in path)
        lead: int | None = None
        if unit:
            lead = self._org(unit)
        elif handled:
            suffix = refs.dept_for.get(gen.category_name, "ZF")
            lead = self._org(f"{place.county}-{suffix}") or self._org(f"{place.county}-ZF")
        reexam = self._org(f"{place.county}-ZF")
        review = self._org(f"{place.county[:4]}00-ZF")
        holder_role = HOLDER.get(state)
        holder = {"register": register, "lead": lead, "reexam": reexam, "review": review}.get(
            holder_role or ""
        )
        received = times[0]
        at = dict(zip(path, times, strict=True))
        accepted = at.get("accepted")
        year = received.astimezone(self.tz).year  # item numbers count per local year
        self.counters[(register, year)] += 1
        code = self._query_code()
        leaf = refs.leaves.get(gen.category_name)
        handler = refs.handler_id if unit and accepted else None
        case: dict[str, Any] = {
            "id": pk,
            "item_number": f"{self.org_codes[register]}-{year}-{self.counters[register, year]:06d}",
            "query_code": code,
            "channel": gen.channel,
            "petition_type_id": type_id,
            "category_id": rng.choice(leaf) if leaf else None,
            "region_id": place.region_id,
            "register_org_id": register,
            "title": data["title"],
            "content": data["content"],
            "status": path[-1],
            "status_changed_at": times[-1],
            "received_at": received,
            "registered_at": at.get("registered"),
            "holder_org_id": holder,
            "lead_org_id": lead if handled else None,
            "close_reason": close_reason,
            "accepted_at": accepted,
            "opinion_issued_at": at.get("opinion_issued"),
            "opinion_served_at": at.get("opinion_issued"),
            "outcome": rng.choice(("support", "explain", "reject"))
            if "opinion_issued" in at
            else "",
            "handler_id": handler,
            "first_handler_org_id": lead if accepted else None,
            "first_handler_id": handler,
            "is_urgent": rng.random() < 0.02,
            "is_fast_track": handle_profile == "fast-10wd",
            "is_anonymous": data["anonymous"],
            "is_confidential_accusation": type_kind == "accusation",
            "consent_publish": data["consent_publish"],
            "accused_unit": data.get("accused_unit", ""),
            "created_at": received,
        }
        built = Built(case)
        self._walk(built, path, times, handle_profile, lead, register, reexam, review)
        self._mirror(built)
        if lead and handled:
            built.access.append((lead, "lead"))
        if "reexam_requested" in at and reexam:
            built.access.append((reexam, "reexam"))
        if "review_requested" in at and review and review != reexam:
            built.access.append((review, "review"))
        return built

    def _closed_anchor(self) -> datetime:
        """The last step before closing: up to CLOSED_YEARS back, before the last sweep."""
        back = self.rng.uniform(0, CLOSED_YEARS * 8760) + 800  # the longest close gap
        return self.last_sweep - timedelta(hours=back)

    def _closed_at(self, reason: str, last: datetime) -> datetime:
        window = {"no_reexam_in_time": "reexam-request-30d"}.get(reason)
        if reason == "no_review_in_time":
            window = "review-request-30d"
        if window:  # the sweep closed it when the window ran out
            _nominal, due, _prov = self.deadlines.due(window, last)
            return due + timedelta(minutes=self.rng.uniform(1, 20))
        lo, hi = CLOSE_HOURS[reason]
        return last + timedelta(hours=self.rng.uniform(lo, hi))

    def _query_code(self) -> str:
        while True:
            code = "".join(self.rng.choices(self.alphabet, k=10))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _walk(
        self,
        built: Built,
        path: Sequence[str],
        times: Sequence[datetime],
        handle_profile: str,
        lead: int | None,
        register: int,
        reexam: int | None,
        review: int | None,
    ) -> None:
        """Clocks and events along the path, as the services would have written them."""
        running: dict[str, Clock] = {}
        orgs = {"register": register, "lead": lead, "reexam": reexam, "review": review}
        prev = ""
        for step, at in zip(path, times, strict=True):
            stops = frozenset(running) if step in TERMINAL else STOPS.get(step, frozenset())
            for kind in stops & running.keys():
                clock = running.pop(kind)
                self._settle(clock, at)
                clock.stopped = clock.stopped or at
            if step == "extended":
                handle = running.get("handle")
                if handle is not None:
                    days = self.rng.choice((15, 20, 30))
                    handle.extended_days = days
                    handle.nominal += timedelta(days=days)
                    handle.due += timedelta(days=days)
                    handle.warn_at = self._warn_at(handle.started, handle.due)
            for kind, profile in STARTS.get(step, ()):
                if kind == "rating_window":
                    profile = f"+{self.rating_days}"
                if kind == "handle":
                    profile = handle_profile
                org_role = {"route": "register", "reexam_decide": "reexam"}.get(kind, "lead")
                if kind == "review_decide":
                    org_role = "review"
                nominal, due, provisional = self.deadlines.due(profile, at)
                clock = Clock(
                    kind=kind,
                    org=orgs[org_role] if kind in DUTY or kind == "objection" else None,
                    profile_id=self.deadlines.profile_id(profile),
                    started=at,
                    nominal=nominal,
                    due=due,
                    provisional=provisional,
                    warn_at=self._warn_at(at, due) if kind in DUTY else None,
                )
                running[kind] = clock
                built.clocks.append(clock)
            built.events.append(self._event(step, prev, at, orgs, built))
            prev = step
        for clock in running.values():
            self._settle(clock, self.t0, swept=self.last_sweep)

    def _warn_at(self, started: datetime, due: datetime) -> datetime:
        return started + (due - started) * self.warn_fraction

    def _settle(self, clock: Clock, until: datetime, swept: datetime | None = None) -> None:
        """What the sweep did to a clock before it stopped (or, running, by the last sweep)."""
        seen = swept or until
        lag = timedelta(minutes=self.rng.uniform(1, 20))
        if clock.warn_at is not None and clock.warn_at < seen:
            clock.warned = min(clock.warn_at + lag, seen)
        if clock.due < seen:
            clock.expired = min(clock.due + lag, seen)
            clock.warned = clock.warned or clock.expired
            if clock.kind not in DUTY:  # a lapsed window stops; a duty clock runs on overdue
                clock.stopped = clock.expired

    def _event(
        self, step: str, prev: str, at: datetime, orgs: dict[str, int | None], built: Built
    ) -> dict[str, Any]:
        case = built.case
        actor_org = orgs["register"]
        if step in ("objected", "accepted", "in_handling", "extended", "hearing", "opinion_issued"):
            actor_org = orgs["lead"]
        elif step in ("reexam_decided",):
            actor_org = orgs["reexam"]
        elif step == "review_decided":
            actor_org = orgs["review"]
        if step == "received":
            return {
                "case_id": case["id"],
                "kind": "received",
                "to_status": "received",
                "actor_org_id": actor_org,
                "payload": json.dumps({"channel": case["channel"], "bench": True}),
                "is_public": True,
                "created_at": at,
            }
        by = "system" if step == "closed" and case["close_reason"].startswith("no_") else "staff"
        payload: dict[str, Any] = {"by": by}
        if step == "closed":
            payload["close_reason"] = case["close_reason"]
        return {
            "case_id": case["id"],
            "kind": "status",
            "from_status": prev,
            "to_status": step,
            "actor_id": case["handler_id"] if step in ("accepted", "in_handling") else None,
            "actor_org_id": None if by == "system" else actor_org,
            "payload": json.dumps(payload),
            "is_public": True,
            "created_at": at,
        }

    def _mirror(self, built: Built) -> None:
        """Case.due_* as cases.clocks.case_due_refresh left it at the last sweep."""
        duty = [c for c in built.clocks if c.stopped is None and c.kind in DUTY]
        case = built.case
        if not duty:
            case.update(due_at=None, due_provisional=False, due_state="normal")
            return
        clock = min(duty, key=lambda c: c.due)
        state = "normal"
        if clock.expired is not None:
            state = "overdue"
        elif clock.warned is not None:
            state = "warning"
        case.update(due_at=clock.due, due_provisional=clock.provisional, due_state=state)


# --- COPY ---------------------------------------------------------------------------------


class Table:
    """COPY rows into one model's table; unset columns take the field's default."""

    def __init__(self, model: Any, *, with_pk: bool = False) -> None:
        # Without `with_pk` the database numbers the rows.
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.name = model._meta.db_table
        self.columns = [f.column for f in fields]
        self.defaults = [self._default(f) for f in fields]

    @staticmethod
    def _default(f: Any) -> Any:
        value = f.get_default()
        if isinstance(value, dict | list):
            return json.dumps(value)
        return value

    def copy(self, cursor: Any, rows: Iterable[dict[str, Any]]) -> int:
        from psycopg import sql

        stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(self.name), sql.SQL(", ").join(map(sql.Identifier, self.columns))
        )
        n = 0
        pairs = list(zip(self.columns, self.defaults, strict=True))
        with cursor.copy(stmt) as copy:
            for row in rows:
                copy.write_row([row.get(c, d) for c, d in pairs])
                n += 1
        return n


def secondary_indexes_drop(cursor: Any) -> list[str]:
    """Drop the loaded tables' indexes that back no constraint; returns their definitions."""
    from psycopg import sql

    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = 'public' AND i.tablename = ANY(%s) AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [list(LOADED_TABLES)],
    )
    found = cursor.fetchall()
    for name, _definition in found:
        cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    return [definition for _name, definition in found]


def states_plan(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """(final state, measured unit or None) for every petition, shuffled."""
    rng = random.Random(args.seed)
    unit_handle = args.unit_handle
    plan: list[tuple[str, str | None]] = []
    for state, share in HANDLE_MIX.items():
        plan += [(state, args.unit)] * round(unit_handle * share)
    for state, per in UNIT_OTHER_PER_HANDLE.items():
        plan += [(state, args.unit)] * round(unit_handle * per)
    rest = args.petitions - len(plan)
    if rest < 0:
        raise SystemExit("--unit-handle is too large for --petitions")
    states = list(STATE_SHARES)
    weights = list(STATE_SHARES.values())
    plan += [(s, None) for s in rng.choices(states, weights=weights, k=rest)]
    rng.shuffle(plan)
    return plan


def paths_check() -> None:
    """Every path the loader writes must be legal in cases.workflow, as it stands today."""
    from xinfang.cases.workflow import CaseStatus, can_transition

    paths = [*PATHS.values(), *((*p, "closed") for p in CLOSED_PATHS.values())]
    for path in paths:
        for a, b in pairwise(path):
            if not can_transition(CaseStatus(a), CaseStatus(b)):
                raise SystemExit(f"load.py: {a} → {b} is no longer a legal move; update PATHS")


def load(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    paths_check()
    started = time.monotonic()
    t0 = timezone.now().replace(microsecond=0)
    last_sweep = t0 - timedelta(hours=args.backlog_hours)
    builder = Builder(refs_load(args.unit), Deadlines(), t0, last_sweep, args.seed)
    plan = states_plan(args)
    # One transaction: a failed load leaves the database (and its indexes) as it was.
    with transaction.atomic(), connection.cursor() as cursor:
        # No foreign-key triggers: the rows are consistent by construction.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        indexes = secondary_indexes_drop(cursor)
        counts = _copy_all(cursor.cursor, builder, plan, started)
        _counters_write(cursor, builder.counters)
        log(f"re-creating {len(indexes)} indexes")
        for definition in indexes:
            cursor.execute(definition)
        _sequences_set(cursor.cursor)
    load_s = time.monotonic() - started
    log("VACUUM ANALYZE (as autovacuum would after a bulk load)")
    vacuum_started = time.monotonic()
    with connection.cursor() as cursor:
        for table in LOADED_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("ANALYZE")  # the reference tables the seed filled, too
    summary = {
        "petitions": counts["cases"],
        "events": counts["events"],
        "clocks": counts["clocks"],
        "access": counts["access"],
        "states": {k[6:]: v for k, v in sorted(counts.items()) if k.startswith("state:")},
        "unit": args.unit,
        "unit_handle": sum(1 for s, u in plan if u and s in HANDLE_MIX),
        "t0": t0.isoformat(),
        "last_sweep": last_sweep.isoformat(),
        "seed": args.seed,
        "load_s": round(load_s, 1),
        "vacuum_s": round(time.monotonic() - vacuum_started, 1),
    }
    # Written last, through its own connection: its presence means the load finished.
    meta_write(os.environ["DATABASE_URL"], META_TABLE, summary)
    return summary


def _copy_all(
    raw: Any, builder: Builder, plan: Sequence[tuple[str, str | None]], started: float
) -> Counter[str]:
    """Build and COPY the petitions in batches; returns the row counts."""
    from xinfang.cases.models import Case, CaseAccess, CaseClock, CaseEvent

    tables = {m: Table(m, with_pk=m is Case) for m in (Case, CaseEvent, CaseClock, CaseAccess)}
    raw.execute("SELECT coalesce(max(id), 0) FROM cases_case")
    next_id = raw.fetchone()[0] + 1
    counts: Counter[str] = Counter()
    for lo in range(0, len(plan), BATCH):
        batch = plan[lo : lo + BATCH]
        built = [builder.build(next_id + lo + i, s, u) for i, (s, u) in enumerate(batch)]
        counts["cases"] += tables[Case].copy(raw, (b.case for b in built))
        counts["events"] += tables[CaseEvent].copy(raw, (e for b in built for e in b.events))
        counts["clocks"] += tables[CaseClock].copy(raw, _clock_rows(built))
        counts["access"] += tables[CaseAccess].copy(raw, _access_rows(built))
        counts.update(f"state:{b.case['status']}" for b in built)
        done = lo + len(built)
        log(
            f"loaded {done:,}/{len(plan):,} petitions "
            f"({done / (time.monotonic() - started):,.0f}/s; {counts['events']:,} events, "
            f"{counts['clocks']:,} clocks)"
        )
    return counts


def _sequences_set(raw: Any) -> None:
    """Ids the application allocates next come after the loaded ones."""
    from psycopg import sql

    for table in LOADED_TABLES:
        raw.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "(SELECT coalesce(max(id), 1) FROM {}))"
            ).format(sql.Identifier(table)),
            [table],
        )


def _clock_rows(built: Sequence[Built]) -> Iterable[dict[str, Any]]:
    for b in built:
        for c in b.clocks:
            yield {
                "case_id": b.case["id"],
                "kind": c.kind,
                "org_id": c.org,
                "profile_id": c.profile_id,
                "started_at": c.started,
                "nominal_due": c.nominal,
                "due_at": c.due,
                "provisional": c.provisional,
                "warn_at": c.warn_at,
                "extended_days": c.extended_days,
                "stopped_at": c.stopped,
                "warned_at": c.warned,
                "expired_at": c.expired,
            }


def _access_rows(built: Sequence[Built]) -> Iterable[dict[str, Any]]:
    for b in built:
        for org, relation in b.access:
            yield {
                "case_id": b.case["id"],
                "org_id": org,
                "relation": relation,
                "is_active": True,
                "created_at": b.case["received_at"],
            }


def _counters_write(cursor: Any, counters: Counter[tuple[int, int]]) -> None:
    """Item-number counters continue after the loaded numbers, so intake does not collide."""
    for (org, year), last in counters.items():
        cursor.execute(
            "INSERT INTO cases_itemcounter (org_id, year, last) VALUES (%s, %s, %s) "
            "ON CONFLICT (org_id, year) DO UPDATE "
            "SET last = cases_itemcounter.last + EXCLUDED.last",
            [org, year, last],
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    summary = load(args)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
