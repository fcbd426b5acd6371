from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TextSignature(models.Model):
    """A petition's MinHash signature (minhash.NUM_PERM little-endian uint32 values): read
    only for the candidates a band look-up returns, to estimate their Jaccard similarity."""

    case = models.OneToOneField(
        "cases.Case",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("信访件"),
    )
    scheme = models.PositiveSmallIntegerField(_("签名方案"))
    signature = models.BinaryField(_("MinHash 签名"))

    class Meta:
        verbose_name = _("文本签名")
        verbose_name_plural = _("文本签名")

    def __str__(self) -> str:
        return f"{self.case_id}"


class TextBand(models.Model):
    """One LSH band key of a petition: texts sharing any (band, band_hash) are candidates.

    The composite primary key is the only index and starts with (band, band_hash), so the
    look-up is a set of index probes that read case ids from the index alone (an index-only
    scan on PostgreSQL), with no surrogate id column or second index to store (32 rows a case).

    No database constraint or index on `case`: deleting a case cascades to its TextSignature,
    and the look-up joins the signature table, so band rows left behind match nothing; an index
    on `case` only to delete them would grow the table by half. `text_band_purge` removes them.
    """

    pk = models.CompositePrimaryKey("band", "band_hash", "case")
    band = models.SmallIntegerField(_("分段"))
    band_hash = models.IntegerField(_("分段哈希"))
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("信访件"),
    )

    class Meta:
        verbose_name = _("文本分段键")
        verbose_name_plural = _("文本分段键")

    def __str__(self) -> str:
        return f"{self.band}:{self.band_hash}→{self.case_id}"


class HotIssue(models.Model):
    """One hot issue (热点问题) of the latest refresh of a scope: a cluster of recent petitions
    about one matter at one place (hotspots.hot_issues), with the figures it was ranked by.

    A snapshot: `hotwatch.hot_issues_refresh` replaces a scope's rows in one transaction, so
    the counts are those of `computed_at`. The scope is the city-level region (or the province,
    for petitions placed at province level) whose petitions were clustered together.
    """

    region = models.ForeignKey(
        "orgs.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("范围")
    )
    computed_at = models.DateTimeField(_("计算时间"))
    label = models.CharField(_("关键词"), max_length=200)
    place = models.CharField(_("地点"), max_length=64, blank=True)
    size = models.PositiveIntegerField(_("件数"))
    support = models.PositiveIntegerField(_("支持数"), default=0)
    new = models.PositiveIntegerField(_("近7天"))
    previous = models.PositiveIntegerField(_("前7天"))
    score = models.FloatField(_("热度"))
    is_growing = models.BooleanField(_("快速增长"), default=False)
    # The bureau was alerted of this growth (now or by an earlier refresh of the same cluster).
    alerted = models.BooleanField(_("已提醒"), default=False)

    class Meta:
        verbose_name = _("热点问题")
        verbose_name_plural = _("热点问题")
        indexes = [models.Index(fields=["region", "-score"], name="hot_issue_region_score")]

    def __str__(self) -> str:
        return f"{self.place} {self.label}".strip()


class HotIssueMember(models.Model):
    """A petition of a hot issue. Indexed by case: the page keeps the issues with a member the
    reader may see (cases.selectors.case_list_for_user)."""

    # The unique constraint's index serves the look-ups by issue; the case's is Django's own.
    issue = models.ForeignKey(
        HotIssue, on_delete=models.CASCADE, related_name="members", db_index=False
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("信访件")
    )

    class Meta:
        verbose_name = _("热点问题信访件")
        verbose_name_plural = _("热点问题信访件")
        constraints = [
            models.UniqueConstraint(fields=["issue", "case"], name="hot_issue_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.issue_id}→{self.case_id}"
