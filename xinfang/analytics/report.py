"""The annual report of 信访工作条例 Art. 41 and the scheduled monthly summary by e-mail.

Art. 41 asks each petition bureau for a yearly report on: the petitions received (statistics),
the fields they concern, the organs most complained about, the forwarding, assignment and
supervision figures, and suggestions made and adopted. All figures come from the rollups and
the per-case facts; nothing here scans petitions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from xinfang.analytics.exports import breakdown_table
from xinfang.analytics.kpis import KPIS, rate_text, satisfaction_variant
from xinfang.analytics.models import CaseFact, ReportDelivery
from xinfang.analytics.selectors import (
    KpiValue,
    Period,
    Slice,
    kpi_breakdown,
    kpi_summary,
)
from xinfang.core.tables import Column, Table, table_xlsx
from xinfang.handling.services import ONLINE_CHANNELS
from xinfang.orgs.selectors import region_get, region_prefix

log = logging.getLogger(__name__)

# Channels that count as online petitions (网上信访) for the online share: those answered online.
ONLINE = frozenset(str(c) for c in ONLINE_CHANNELS)
REPORT_RATES = ("K1", "K2", "K3", "K17", "K6", "K7", "K9", "K10", "K18")
TOP = 10


@dataclass(frozen=True)
class Share:
    key: str
    label: str
    count: int
    share: float | None

    @property
    def percent(self) -> str:
        return rate_text(self.share, digits=2)


@dataclass
class AnnualReport:
    year: int
    region_code: str
    region_name: str
    generated_at: datetime
    total: int
    online: int
    by_channel: list[Share]
    by_type: list[Share]
    by_month: list[Share]
    by_category: list[Share]
    by_region: list[Share]
    accused: list[Share]
    lead_units: list[Share]
    dispatched: int
    forwarded: int
    assigned: int
    returned: int
    supervision_orders: int
    supervised_cases: int
    rates: list[tuple[str, str, KpiValue, str]]
    satisfaction_variant: str
    notes: list[str] = field(default_factory=list)

    @property
    def online_percent(self) -> str:
        return rate_text(self.online / self.total if self.total else None, digits=2)


def _shares(rows: list[tuple[str, str, int]], total: int, limit: int | None = None) -> list[Share]:
    ordered = sorted(rows, key=lambda r: (-r[2], r[0]))
    if limit is not None:
        ordered = ordered[:limit]
    return [Share(k, lbl, n, n / total if total else None) for k, lbl, n in ordered if n]


def _accused(period: Period, prefix: str, total: int) -> list[Share]:
    """被反映单位 with the most petitions received in the period (one indexed fact query)."""
    rows = (
        CaseFact.objects.filter(
            vol_day__gte=period.start, vol_day__lt=period.end, region__startswith=prefix
        )
        .exclude(accused="")
        .values("accused")
        .annotate(n=Count("pk"))
        .order_by("-n", "accused")[:TOP]
    )
    return _shares([(r["accused"], r["accused"], r["n"]) for r in rows], total)


def annual_report(*, year: int, region_code: str = "") -> AnnualReport:
    """Everything Art. 41 lists, for one year and one jurisdiction ("" = the whole system)."""
    period, where = Period.year(year), Slice(region_code=region_code)
    summary = kpi_summary(period=period, slice=where)
    total = summary["VOL"].num

    def by(name: str, limit: int | None = None) -> list[Share]:
        rows = kpi_breakdown(period=period, slice=where, by=name)
        return _shares([(r.key, r.label, r.volume) for r in rows], total, limit)

    channels = by("channel")
    region = region_get(code=region_code) if region_code else None
    months = kpi_breakdown(period=period, slice=where, by="month")
    variant = satisfaction_variant()[0]
    return AnnualReport(
        year=year,
        region_code=region_code,
        region_name=region.full_name if region else _("全省"),
        generated_at=timezone.now(),
        total=total,
        online=sum(s.count for s in channels if s.key in ONLINE),
        by_channel=channels,
        by_type=by("type"),
        by_month=[Share(r.key, r.key, r.volume, None) for r in months],
        by_category=by("category"),
        by_region=by("region"),
        accused=_accused(period, region_prefix(region_code), total),
        lead_units=by("unit", TOP),
        dispatched=summary["DSP"].den,
        forwarded=summary["DSP"].den - summary["DSP"].num,
        assigned=summary["DSP"].num,
        returned=summary["K10"].num,
        supervision_orders=summary["K12b"].num,
        supervised_cases=summary["K12b"].den,
        rates=[
            (k, str(KPIS[k].label), summary[k], rate_text(summary[k].rate, digits=2))
            for k in REPORT_RATES
        ],
        satisfaction_variant=variant,
        notes=[
            _("提出和采纳建议的情况未在系统中登记，请另行填报。"),
            _("接通率、15秒应答率需要话务记录，本系统暂无。"),
        ],
    )


# --- the monthly summary by e-mail ----------------------------------------------------------

MONTHLY = "monthly"


def _previous_month(today: date) -> Period:
    first = today.replace(day=1)
    last_month = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    return Period(last_month, first)


def summary_table(*, period: Period, slice: Slice) -> Table:
    """One row per KPI: its figures over the period, as the e-mailed workbook shows them."""
    summary = kpi_summary(period=period, slice=slice)
    columns = [
        Column("kpi", _("编号")),
        Column("label", _("指标")),
        Column("num", _("分子"), "int"),
        Column("den", _("分母"), "int"),
        Column("rate", _("比率"), "rate"),
    ]
    rows = [{"kpi": "VOL", "label": _("信访量"), "num": summary["VOL"].num}]
    for kpi, d in KPIS.items():
        if d.available:
            v = summary[kpi]
            rows.append({"kpi": kpi, "label": str(d.label), "num": v.num, "den": v.den,
                         "rate": v.rate})  # fmt: skip
    return Table(_("指标汇总"), columns, rows)


def monthly_report_message(*, period: Period, recipients: list[str]) -> EmailMessage:
    region_code = str(getattr(settings, "XINFANG_ANALYTICS_REPORT_REGION", ""))
    where = Slice(region_code=region_code)
    label = period.start.strftime("%Y-%m")
    summary = kpi_summary(period=period, slice=where)
    lines = [_("{month} 信访工作统计（自动发送）").format(month=label), ""]
    lines.append(_("信访量：{n} 件").format(n=summary["VOL"].num))
    for kpi in REPORT_RATES:
        v = summary[kpi]
        lines.append(f"{KPIS[kpi].label}: {rate_text(v.rate, digits=2)} ({v.num}/{v.den})")
    message = EmailMessage(
        subject=_("信访工作月报 {month}").format(month=label),
        body="\n".join(lines),
        to=recipients,
    )
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    message.attach(f"kpi-{label}.xlsx", table_xlsx(summary_table(period=period, slice=where)), xlsx)
    units = kpi_breakdown(period=period, slice=where, by="unit")
    table = breakdown_table(units, title=_("分单位"), key_label=_("单位"))
    message.attach(f"units-{label}.xlsx", table_xlsx(table), xlsx)
    return message


def monthly_report_send_due(*, now: datetime | None = None) -> int:
    """Send last month's summary once, on or after the configured day of this month, to the
    configured recipients. Returns the number of messages sent (0 or 1). A failed send leaves
    no delivery record, so the next run tries again."""
    recipients = list(getattr(settings, "XINFANG_ANALYTICS_REPORT_RECIPIENTS", []))
    today = timezone.localdate(now or timezone.now())
    if not recipients or today.day < int(getattr(settings, "XINFANG_ANALYTICS_REPORT_DAY", 1)):
        return 0
    period = _previous_month(today)
    if ReportDelivery.objects.filter(kind=MONTHLY, period_start=period.start).exists():
        return 0
    with transaction.atomic():
        ReportDelivery.objects.create(
            kind=MONTHLY,
            period_start=period.start,
            recipients=recipients,
            sent_at=now or timezone.now(),
        )
        monthly_report_message(period=period, recipients=recipients).send(fail_silently=False)
    log.info("monthly report %s sent to %d recipients", period.start, len(recipients))
    return 1
