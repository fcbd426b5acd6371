"""Analytics tables: one fact row per case, the rollups summed from them, exclusions and
assessment schemes. Written only by analytics.services / analytics.rollup / analytics.facts;
every other app's tables are only read."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The KPI parts a case can contribute to: each has a day (the date that puts it in a period,
# NULL = not in the denominator) and a numerator. Listed once so the fact table, the rollup
# table and the formulas stay in step (kpis.py maps KPI ids onto these parts).
PARTS: tuple[str, ...] = (
    "vol",  # every petition, on the day it was received
    "k1",  # signing due (final dispatch)
    "k2",  # handling due → done within the final due time
    "k3",  # handling due → done (replied or closed)
    "k4",  # dispatched → receipt notice within the notice limit
    "k5",  # revisit due → revisited
    "k6",  # rating due (rated or expired) → rated
    "k7s",  # rated → 满意
    "k7b",  # rated → 基本满意
    "k8",  # revisited with an answer → resolved
    "k9",  # received → repeat
    "k10",  # dispatched → returned (退单/异议)
    "k10b",  # returned → return rejected (不合规退单)
    "k11",  # replied → re-handled (重办)
    "k12",  # handling due → overdue
    "k12b",  # supervised: numerator = number of supervision orders
    "k13",  # registered → answered directly (直办)
    "k16",  # notice required → written notice within 15 days
    "k17",  # 60-day opinion due → opinion within 60 d (+ extension)
    "k18",  # opinion issued → 复查/复核 requested
    "k18b",  # 复查/复核 decided → outcome changed
    "dsp",  # dispatched (first 转送/交办) → by 交办 (annual report; never excluded)
)

# The unit a part is credited to, as a CaseFact column: returns go to the unit dispatched to,
# direct answers and notices to the registering organ, the rest to the lead unit (else the
# registering organ). Rollups hold it as org_id.
PART_ORG: dict[str, str] = {
    "k10": "dispatch_org_id",
    "k10b": "dispatch_org_id",
    "k13": "register_org_id",
    "k16": "register_org_id",
}


class ExclusionCode(models.TextChoices):
    """Why a case does not count for a KPI (DOMAIN §8: explicit, audited reason codes)."""

    UNREASONABLE = "unreasonable", _("诉求经审核不合理")
    MALICIOUS = "malicious", _("恶意重复投诉")
    FORCE_MAJEURE = "force_majeure", _("不可抗力")
    POLICY = "policy", _("政策性问题，超出单位职权")
    DUPLICATE = "duplicate", _("重复登记")
    TEST = "test", _("测试数据")
    OTHER = "other", _("其他（须说明理由）")


class CaseFact(models.Model):
    """Everything the KPIs need about one case, derived from the case, its events, clocks,
    ratings, revisits and supervision orders (analytics.facts). Each KPI part has a day
    (`<part>_day`, NULL when the case is not in that denominator), a numerator and the unit it
    is credited to; the rollups are sums of these rows, and drill-downs filter them."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="fact"
    )
    # Dimensions.
    org_id = models.IntegerField(default=0, db_index=True)  # lead unit, else registering organ
    dispatch_org_id = models.IntegerField(default=0)  # first unit dispatched to (退单 credit)
    register_org_id = models.IntegerField(default=0)
    region = models.CharField(max_length=12, default="")  # county-level region prefix
    category_id = models.IntegerField(default=0)  # first-level content category, 0 = none
    channel = models.CharField(max_length=16, default="")
    petition_type = models.CharField(max_length=32, default="")  # PetitionType.code
    # The unit complained about (被反映单位): the unit of the tree, else the name as written.
    accused = models.CharField(max_length=128, blank=True, default="")
    # Derived timestamps and flags (for reading and checking; the parts below are what count).
    received_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    sign_due = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    handle_due = models.DateTimeField(null=True, blank=True)  # final, after extensions
    extended_days = models.PositiveIntegerField(default=0)
    replied_at = models.DateTimeField(null=True, blank=True)  # first opinion issued
    done_at = models.DateTimeField(null=True, blank=True)  # replied or closed
    rating = models.CharField(max_length=16, blank=True)  # latest round, unit party
    rated_at = models.DateTimeField(null=True, blank=True)
    revisited_at = models.DateTimeField(null=True, blank=True)
    revisit_outcome = models.CharField(max_length=16, blank=True)
    is_repeat = models.BooleanField(default=False)
    returned = models.BooleanField(default=False)
    return_rejected = models.BooleanField(default=False)
    rehandled = models.BooleanField(default=False)
    overdue = models.BooleanField(default=False)
    supervision_count = models.PositiveIntegerField(default=0)
    direct_answer = models.BooleanField(default=False)
    notice_at = models.DateTimeField(null=True, blank=True)  # first written notice
    review_requested = models.BooleanField(default=False)
    review_changed = models.BooleanField(default=False)
    excluded = models.JSONField(default=list, blank=True)  # parts excluded ("*" = all)
    # When the fact must be recomputed although no event happened (a due time passes).
    recheck_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField()

    vol_day = models.DateField(null=True)
    vol_num = models.PositiveIntegerField(default=0)
    k1_day = models.DateField(null=True)
    k1_num = models.PositiveIntegerField(default=0)
    k2_day = models.DateField(null=True)
    k2_num = models.PositiveIntegerField(default=0)
    k3_day = models.DateField(null=True)
    k3_num = models.PositiveIntegerField(default=0)
    k4_day = models.DateField(null=True)
    k4_num = models.PositiveIntegerField(default=0)
    k5_day = models.DateField(null=True)
    k5_num = models.PositiveIntegerField(default=0)
    k6_day = models.DateField(null=True)
    k6_num = models.PositiveIntegerField(default=0)
    k7s_day = models.DateField(null=True)
    k7s_num = models.PositiveIntegerField(default=0)
    k7b_day = models.DateField(null=True)
    k7b_num = models.PositiveIntegerField(default=0)
    k8_day = models.DateField(null=True)
    k8_num = models.PositiveIntegerField(default=0)
    k9_day = models.DateField(null=True)
    k9_num = models.PositiveIntegerField(default=0)
    k10_day = models.DateField(null=True)
    k10_num = models.PositiveIntegerField(default=0)
    k10b_day = models.DateField(null=True)
    k10b_num = models.PositiveIntegerField(default=0)
    k11_day = models.DateField(null=True)
    k11_num = models.PositiveIntegerField(default=0)
    k12_day = models.DateField(null=True)
    k12_num = models.PositiveIntegerField(default=0)
    k12b_day = models.DateField(null=True)
    k12b_num = models.PositiveIntegerField(default=0)
    k13_day = models.DateField(null=True)
    k13_num = models.PositiveIntegerField(default=0)
    k16_day = models.DateField(null=True)
    k16_num = models.PositiveIntegerField(default=0)
    k17_day = models.DateField(null=True)
    k17_num = models.PositiveIntegerField(default=0)
    k18_day = models.DateField(null=True)
    k18_num = models.PositiveIntegerField(default=0)
    k18b_day = models.DateField(null=True)
    k18b_num = models.PositiveIntegerField(default=0)
    dsp_day = models.DateField(null=True)
    dsp_num = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("信访件统计事实")
        verbose_name_plural = _("信访件统计事实")
        indexes = [
            models.Index(
                fields=["recheck_at"], condition=Q(recheck_at__isnull=False), name="fact_recheck"
            ),
            models.Index(fields=["org_id", "vol_day"], name="fact_org_day"),
            models.Index(fields=["region", "vol_day"], name="fact_region_day"),
        ]

    def __str__(self) -> str:
        return f"fact {self.case_id}"


class Grain(models.TextChoices):
    DAY = "d", _("日")
    MONTH = "m", _("月")


class RollupSums(models.Model):
    """The summed numerators and denominators of every fact part (models.PARTS)."""

    vol_num = models.IntegerField(default=0)
    vol_den = models.IntegerField(default=0)
    k1_num = models.IntegerField(default=0)
    k1_den = models.IntegerField(default=0)
    k2_num = models.IntegerField(default=0)
    k2_den = models.IntegerField(default=0)
    k3_num = models.IntegerField(default=0)
    k3_den = models.IntegerField(default=0)
    k4_num = models.IntegerField(default=0)
    k4_den = models.IntegerField(default=0)
    k5_num = models.IntegerField(default=0)
    k5_den = models.IntegerField(default=0)
    k6_num = models.IntegerField(default=0)
    k6_den = models.IntegerField(default=0)
    k7s_num = models.IntegerField(default=0)
    k7s_den = models.IntegerField(default=0)
    k7b_num = models.IntegerField(default=0)
    k7b_den = models.IntegerField(default=0)
    k8_num = models.IntegerField(default=0)
    k8_den = models.IntegerField(default=0)
    k9_num = models.IntegerField(default=0)
    k9_den = models.IntegerField(default=0)
    k10_num = models.IntegerField(default=0)
    k10_den = models.IntegerField(default=0)
    k10b_num = models.IntegerField(default=0)
    k10b_den = models.IntegerField(default=0)
    k11_num = models.IntegerField(default=0)
    k11_den = models.IntegerField(default=0)
    k12_num = models.IntegerField(default=0)
    k12_den = models.IntegerField(default=0)
    k12b_num = models.IntegerField(default=0)
    k12b_den = models.IntegerField(default=0)
    k13_num = models.IntegerField(default=0)
    k13_den = models.IntegerField(default=0)
    k16_num = models.IntegerField(default=0)
    k16_den = models.IntegerField(default=0)
    k17_num = models.IntegerField(default=0)
    k17_den = models.IntegerField(default=0)
    k18_num = models.IntegerField(default=0)
    k18_den = models.IntegerField(default=0)
    k18b_num = models.IntegerField(default=0)
    k18b_den = models.IntegerField(default=0)
    dsp_num = models.IntegerField(default=0)
    dsp_den = models.IntegerField(default=0)

    class Meta:
        abstract = True


class KpiRollup(RollupSums):
    """Sums of CaseFact parts per period bucket (a day, or the first day of a month) and per
    unit, county, first-level category, channel and petition type. Kept incrementally by
    analytics.rollup (old contribution out, new one in); requests read only this table."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    bucket = models.DateField()
    org_id = models.IntegerField(default=0)
    region = models.CharField(max_length=12, default="")
    category_id = models.IntegerField(default=0)
    channel = models.CharField(max_length=16, default="")
    petition_type = models.CharField(max_length=32, default="")

    class Meta:
        verbose_name = _("统计汇总")
        verbose_name_plural = _("统计汇总")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "grain",
                    "bucket",
                    "org_id",
                    "region",
                    "category_id",
                    "channel",
                    "petition_type",
                ],
                name="kpi_rollup_key",
            ),
        ]
        indexes = [
            models.Index(fields=["grain", "bucket", "region"], name="rollup_region"),
            models.Index(fields=["grain", "org_id", "bucket"], name="rollup_org"),
        ]

    def __str__(self) -> str:
        return f"{self.grain}{self.bucket} org{self.org_id} {self.region}"


class AreaRollup(RollupSums):
    """KpiRollup without the unit: what region, category, channel and type views read (a
    province dashboard sums a few thousand of these rows instead of one per unit)."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    bucket = models.DateField()
    region = models.CharField(max_length=12, default="")
    category_id = models.IntegerField(default=0)
    channel = models.CharField(max_length=16, default="")
    petition_type = models.CharField(max_length=32, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "bucket", "region", "category_id", "channel", "petition_type"],
                name="area_rollup_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grain}{self.bucket} {self.region}"


class UnitRollup(RollupSums):
    """KpiRollup by unit and county only: unit rankings and a unit's own view read these."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    bucket = models.DateField()
    org_id = models.IntegerField(default=0)
    region = models.CharField(max_length=12, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "bucket", "org_id", "region"], name="unit_rollup_key"
            ),
        ]
        indexes = [models.Index(fields=["grain", "org_id", "bucket"], name="unit_rollup_org")]

    def __str__(self) -> str:
        return f"{self.grain}{self.bucket} org{self.org_id}"


# The detail dimensions a MarginRollup row can hold one of: its `dim` value → the column of
# AreaRollup (and CaseFact) it comes from.
MARGIN_DIMS: dict[str, str] = {
    "category": "category_id",
    "channel": "channel",
    "type": "petition_type",
}


class MarginRollup(RollupSums):
    """AreaRollup summed over all but one detail dimension: per county and bucket, one row per
    value of one dimension (`dim` in MARGIN_DIMS, `key` its value as text) and the total
    (`dim` = `key` = ""). Region views that filter or group by at most one of category,
    channel and type read these: a province year is a few thousand rows per figure instead of
    one per county × category × channel × type."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    bucket = models.DateField()
    region = models.CharField(max_length=12, default="")
    dim = models.CharField(max_length=8, default="")
    key = models.CharField(max_length=32, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "bucket", "region", "dim", "key"], name="margin_rollup_key"
            ),
        ]
        indexes = [models.Index(fields=["dim", "grain", "bucket"], name="margin_rollup_dim")]

    def __str__(self) -> str:
        return f"{self.grain}{self.bucket} {self.region} {self.dim}={self.key}"


class RollupState(models.Model):
    """The single row holding the incremental refresh's watermark (last CaseEvent id seen)."""

    name = models.CharField(max_length=32, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # Set while a refresh runs, so two workers never apply the same deltas twice.
    running_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}@{self.last_event_id}"


class Exclusion(models.Model):
    """A case taken out of one KPI (or all, kpi="*") with a reason code; creating or removing
    one is audited and refreshes the case's fact and the rollups."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    kpi = models.CharField(_("指标"), max_length=8, default="*")
    code = models.CharField(_("排除原因"), max_length=16, choices=ExclusionCode.choices)
    reason = models.TextField(_("说明"))
    actor = models.ForeignKey("orgs.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("考核排除")
        verbose_name_plural = _("考核排除")
        constraints = [
            models.UniqueConstraint(fields=["case", "kpi"], name="exclusion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kpi} {self.code}"


class ReportDelivery(models.Model):
    """One scheduled report e-mailed for one period, so a period is never sent twice."""

    kind = models.CharField(max_length=16)
    period_start = models.DateField()
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "period_start"], name="report_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period_start}"


class SatisfactionVariant(models.TextChoices):
    A = "A", _("A：（满意＋基本满意）÷已评价")
    B = "B", _("B：满意÷已评价")
    C = "C", _("C：（满意＋权重×基本满意）÷已评价")


class AssessmentScheme(models.Model):
    """考核方案: which units are ranked (a jurisdiction and a unit kind), on which KPIs with
    which weights, the minimum volume to be ranked, and the satisfaction variant."""

    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey(
        "orgs.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("考核范围")
    )
    unit_kind = models.CharField(_("单位类别"), max_length=16, blank=True)
    # {"K2": 30, "K7": 40, ...}: weights, normalised by their sum when scoring.
    indicators = models.JSONField(_("指标与权重"), default=dict)
    min_volume = models.PositiveIntegerField(_("最低件数"), default=10)
    k7_variant = models.CharField(
        _("满意率口径"), max_length=1, choices=SatisfactionVariant.choices, default="A"
    )
    k7_basic_weight = models.FloatField(_("基本满意权重"), default=0.8)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")

    def __str__(self) -> str:
        return self.name
