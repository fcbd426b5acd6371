from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from xinfang.cases.services import case_register
from xinfang.cases.tests.factories import make_case
from xinfang.intake.services import petition_submit
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_bureau, make_staff
from xinfang.tracking.models import TrackFailure

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau() -> Any:
    return make_bureau("430100")


def track(client: Client, code: str, verify: str, ip: str = "10.0.0.1") -> Any:
    return client.get(f"/api/v1/track/{code}", {"verify": verify}, REMOTE_ADDR=ip)


def test_last_four_digits_of_the_phone_show_status_and_timeline(
    client: Client, bureau: Any
) -> None:
    case = make_case()
    case_register(case=case, actor=make_staff(org=bureau, role=Role.REGISTRAR))
    response = track(client, case.query_code, "1234")
    assert response.status_code == 200
    body = response.json()
    assert body["item_number"] == case.item_number
    assert body["status"] == "registered"
    assert (body["status_zh"], body["status_en"]) == ("已登记", "Registered")
    assert [e["status"] for e in body["timeline"]] == ["received", "registered"]
    assert "phone" not in response.content.decode()


def test_query_code_is_case_and_dash_insensitive(client: Client, bureau: Any) -> None:
    code = make_case().query_code
    spaced = f"{code[:5].lower()}-{code[5:].lower()}"
    assert track(client, spaced, "1234").status_code == 200


def test_wrong_factor_and_unknown_code_answer_the_same(client: Client, bureau: Any) -> None:
    case = make_case()
    wrong = track(client, case.query_code, "0000")
    unknown = track(client, "ZZZZZZZZZZ", "1234")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()


def test_anonymous_petition_is_tracked_with_the_receipt_secret(client: Client, bureau: Any) -> None:
    from xinfang.cases.tests.factories import petition_payload

    body = petition_payload(anonymous=True)
    del body["petitioner"]
    receipt = petition_submit(channel="api", data=body)
    assert track(client, receipt.case.query_code, receipt.secret).status_code == 200
    assert track(client, receipt.case.query_code, receipt.secret.lower()).status_code == 200
    assert track(client, receipt.case.query_code, "1234").status_code == 404


def test_repeated_wrong_factors_lock_the_code(client: Client, bureau: Any, settings: Any) -> None:
    settings.XINFANG_TRACK_MAX_FAILURES = 3
    case = make_case()
    for n in range(3):
        assert track(client, case.query_code, f"000{n}", ip=f"10.0.0.{n}").status_code == 404
    locked = track(client, case.query_code, "1234", ip="10.9.9.9")
    assert locked.status_code == 429
    assert locked.json()["code"] == "throttled"
    assert TrackFailure.objects.count() == 3


def test_spelling_a_code_differently_does_not_reset_its_lock(
    client: Client, bureau: Any, settings: Any
) -> None:
    settings.XINFANG_TRACK_MAX_FAILURES = 2
    code = make_case().query_code
    for n, spelling in enumerate((code, f"{code[:5]}-{code[5:]}".lower())):
        assert track(client, spelling, "0000", ip=f"10.0.1.{n}").status_code == 404
    assert track(client, f" {code[:3]} {code[3:]} ", "1234", ip="10.0.1.9").status_code == 429


def test_one_client_guessing_many_codes_is_throttled(
    client: Client, bureau: Any, settings: Any
) -> None:
    settings.XINFANG_TRACK_MAX_FAILURES = 2  # → 8 failures per client
    case = make_case()
    for n in range(8):
        track(client, f"GUESS{n:05d}", "1234")
    assert track(client, case.query_code, "1234").status_code == 429
    assert track(client, case.query_code, "1234", ip="10.0.0.2").status_code == 200


def test_a_forged_forwarded_for_header_does_not_evade_the_client_limit(
    client: Client, bureau: Any, settings: Any
) -> None:
    settings.XINFANG_TRACK_MAX_FAILURES = 1  # → 4 failures per client
    code = make_case().query_code
    for n in range(4):
        client.get(
            f"/api/v1/track/GUESS{n:05d}",
            {"verify": "1"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    blocked = client.get(
        f"/api/v1/track/{code}",
        {"verify": "1234"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )
    assert blocked.status_code == 429
    settings.XINFANG_TRUST_X_FORWARDED_FOR = True  # our proxy appends the real address last
    allowed = client.get(
        f"/api/v1/track/{code}",
        {"verify": "1234"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.5",
    )
    assert allowed.status_code == 200


def test_failures_do_not_store_codes_or_addresses(client: Client, bureau: Any) -> None:
    case = make_case()
    track(client, case.query_code, "0000", ip="192.0.2.77")
    row = TrackFailure.objects.values_list("code_digest", "client_digest").get()
    assert case.query_code not in "".join(row)
    assert "192.0.2.77" not in "".join(row)


def test_tracking_page_shows_status(client: Client, bureau: Any) -> None:
    case = make_case()
    page = client.post("/track/", {"query_code": case.query_code, "verify": "1234"})
    assert page.status_code == 200
    html = page.content.decode()
    assert case.item_number in html
    assert "已收到" in html
    wrong = client.post("/track/", {"query_code": case.query_code, "verify": "9999"})
    assert wrong.status_code == 404
    assert "查询码或验证信息不正确" in wrong.content.decode()
