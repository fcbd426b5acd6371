from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xinfang.cases.services import EVENT_LISTENERS
from xinfang.cases.tests.factories import make_case
from xinfang.orgs.tests.factories import make_bureau

pytestmark = pytest.mark.django_db


def test_measure(db: Any) -> None:
    make_bureau("430102")
    make_case()
    with CaptureQueriesContext(connection) as on:
        make_case()
    saved = list(EVENT_LISTENERS)
    EVENT_LISTENERS.clear()
    try:
        with CaptureQueriesContext(connection) as off:
            make_case()
    finally:
        EVENT_LISTENERS.extend(saved)
    print(f"\nQUERIES with notify: {len(on)}, without: {len(off)}")
    for q in on.captured_queries:
        if "notify" in q["sql"] or "petitioner" in q["sql"]:
            print(q["sql"][:150])
