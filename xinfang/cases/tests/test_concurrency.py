"""Two workers move the same case at the same moment: exactly one wins (PostgreSQL).

The case is committed from a thread of its own (so both racers' connections see it), the two
racers each hold a stale copy and run `case_transition` in their own transactions, and a
cleanup thread deletes what was committed. SQLite serialises writers on one lock, so the race
cannot happen there; the compare-and-set itself is covered by the stale-copy test on both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection

from xinfang.cases.models import Case, EventKind, ItemCounter
from xinfang.cases.services import InvalidTransition, case_transition
from xinfang.cases.tests.factories import make_case
from xinfang.cases.workflow import CaseStatus
from xinfang.orgs.models import Org
from xinfang.orgs.tests.factories import make_bureau

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL"),
    pytest.mark.django_db,
]


def _in_threads(targets: list[Callable[[], Any]]) -> list[Any]:
    """Run each target in its own thread (own connection), released together."""
    start = threading.Barrier(len(targets))
    results: list[Any] = [None] * len(targets)

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = targets[i]()
        except BaseException as exc:  # returned to the test's thread
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _setup() -> tuple[int, int]:
    bureau = make_bureau("430103")
    return bureau.pk, make_case(region_code="430103").pk


def _register(case: Case) -> Case:
    return case_transition(case=case, to=CaseStatus.REGISTERED, actor=None)


def _cleanup(org_id: int, case_id: int) -> None:
    from xinfang.triage.models import TextBand

    # The job after intake signed the text; band keys carry no foreign key, so go explicitly.
    TextBand.objects.filter(case_id=case_id).delete()
    Case.objects.filter(pk=case_id).delete()
    ItemCounter.objects.filter(org_id=org_id).delete()
    Org.objects.filter(pk=org_id).delete()


def test_a_concurrent_double_transition_moves_the_case_once() -> None:
    [(org_id, case_id)] = _in_threads([_setup])
    try:
        stale = [Case.objects.get(pk=case_id), Case.objects.get(pk=case_id)]
        outcomes = _in_threads([partial(_register, c) for c in stale])
        winners = [o for o in outcomes if isinstance(o, Case)]
        losers = [o for o in outcomes if isinstance(o, InvalidTransition)]
        assert (len(winners), len(losers)) == (1, 1), outcomes
        assert Case.objects.get(pk=case_id).status == CaseStatus.REGISTERED
        moves = Case.objects.get(pk=case_id).events.filter(kind=EventKind.STATUS)
        assert moves.count() == 1
    finally:
        _in_threads([lambda: _cleanup(org_id, case_id)])
