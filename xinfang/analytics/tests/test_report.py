"""The Art. 41 annual report page and the monthly summary e-mailed over real SMTP."""

from __future__ import annotations

import email
import io
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.test import Client
from openpyxl import load_workbook

from xinfang.analytics.models import ReportDelivery
from xinfang.analytics.report import annual_report, monthly_report_send_due
from xinfang.analytics.rollup import rollup_refresh
from xinfang.analytics.tests.kpi_world import KpiWorld
from xinfang.clock.engine import TZ
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_org, make_staff
from xinfang.signin.tests.helpers import force_login_verified

NOW = datetime(2026, 1, 15, 9, tzinfo=TZ)


def test_annual_report_figures(kw: KpiWorld) -> None:
    rollup_refresh(now=NOW)
    report = annual_report(year=2025, region_code="430102")
    assert report.region_name.endswith("芙蓉区")
    # Ten petitions, all through the API channel, which is an online channel.
    assert (report.total, report.online, report.online_percent) == (10, 10, "100.00%")
    assert [(s.key, s.count) for s in report.by_channel] == [("api", 10)]
    # Nine appeals and one suggestion.
    assert [(s.key, s.count) for s in report.by_type] == [("appeal", 9), ("suggestion", 1)]
    # Dispatched A–H = 8 (H is excluded from KPIs, not from the report's counts), all 转送.
    assert (report.dispatched, report.forwarded, report.assigned) == (8, 8, 0)
    assert (report.supervision_orders, report.supervised_cases) == (2, 1)
    # Housing leads 7, transport 1, the bureau holds I and J.
    assert [s.count for s in report.lead_units] == [7, 2, 1]
    rates = {k: v for k, _, v, _ in report.rates}
    assert (rates["K2"].num, rates["K2"].den) == (5, 7)


def test_report_page_prints_and_is_scoped(kw: KpiWorld) -> None:
    from django.urls import reverse

    from xinfang.analytics.report_views import annual_report_view  # noqa: F401 — mounted

    rollup_refresh(now=NOW)
    client = Client()
    force_login_verified(client, kw.w.supervisor)  # a bureau supervisor: STATS_VIEW in 430102
    url = reverse("analytics:report-annual", args=[2025])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "2025年度信访工作报告" in html
    assert "@media print" in html
    assert "转送、交办合计" in html
    # Another county's figures are not this supervisor's to read.
    other = make_org(region_code="430103", name="天心区某局")
    assert client.get(url, {"region": "430103"}).status_code == 403
    assert client.get(url, {"region": "999999"}).status_code == 404
    # Without the statistics permission: 403.
    handler = Client()
    force_login_verified(handler, make_staff(org=other, role=Role.HANDLER))
    assert handler.get(url).status_code == 403
    # A unit's analyst sees that unit on the dashboard, never its county's report.
    unit_analyst = Client()
    force_login_verified(unit_analyst, make_staff(org=kw.w.housing, role=Role.ANALYST))
    assert unit_analyst.get(url).status_code == 403
    assert unit_analyst.get(url, {"region": "430102"}).status_code == 403


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.original_content or b""))
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


def test_monthly_summary_is_mailed_once(kw: KpiWorld, smtp: Inbox, settings: Any) -> None:
    rollup_refresh(now=NOW)
    settings.XINFANG_ANALYTICS_REPORT_RECIPIENTS = ["leader@example.org"]
    settings.XINFANG_ANALYTICS_REPORT_DAY = 3
    # 09-02: before the day of the month → nothing; 09-03: August's summary, once.
    assert monthly_report_send_due(now=datetime(2025, 9, 2, 9, tzinfo=TZ)) == 0
    assert monthly_report_send_due(now=datetime(2025, 9, 3, 9, tzinfo=TZ)) == 1
    assert monthly_report_send_due(now=datetime(2025, 9, 4, 9, tzinfo=TZ)) == 0
    assert ReportDelivery.objects.get().period_start.isoformat() == "2025-08-01"
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "leader@example.org"
    parts = {p.get_filename(): p for p in message.walk() if p.get_filename()}
    assert set(parts) == {"kpi-2025-08.xlsx", "units-2025-08.xlsx"}
    payload = parts["kpi-2025-08.xlsx"].get_payload(decode=True)
    assert isinstance(payload, bytes)
    sheet = load_workbook(io.BytesIO(payload)).active
    assert sheet is not None
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True)}
    assert rows["VOL"][2] == 10  # all ten were received in August
    # K-1 in August: signing due 08-16 … 08-20, the same 6 of 7 as the year.
    assert rows["K1"][2:4] == (6, 7)


def test_monthly_summary_not_recorded_when_the_server_is_down(kw: KpiWorld, settings: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])  # nothing listens here
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.XINFANG_ANALYTICS_REPORT_RECIPIENTS = ["leader@example.org"]
    with pytest.raises(ConnectionRefusedError):
        monthly_report_send_due(now=datetime(2025, 9, 3, 9, tzinfo=TZ))
    assert not ReportDelivery.objects.exists()
