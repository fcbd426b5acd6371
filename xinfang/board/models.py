"""The public message board (阳光信访 留言板): what of a case the public may read.

A case reaches the board only with the petitioner's consent, never as an accusation or a
confidential item (DOMAIN P-4, P-6), and only as a redacted copy a moderator approved. The
board reads these tables alone — never `cases.Case` — so nothing unredacted can leak through a
list, a search or a join, and the list stays one indexed scan among millions of rows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    PUBLISHED = "published", _("已公开")
    REJECTED = "rejected", _("不予公开")
    WITHDRAWN = "withdrawn", _("已撤下")


class Publication(models.Model):
    """A case's public page. The text fields hold the *current* approved version (copied from
    PublicationVersion on approval) and a few denormalised facts the board filters on."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="publication", verbose_name=_("信访件")
    )
    status = models.CharField(
        _("公开状态"), max_length=16, choices=PublicationStatus.choices, default="pending"
    )
    # Denormalised from the case for filters: region code (prefix match down the tree),
    # first-level category, the answering unit, and whether a reply is out.
    region_code = models.CharField(_("属地代码"), max_length=12)
    category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "orgs.Org", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_replied = models.BooleanField(_("已答复"), default=False)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    content = models.TextField(_("诉求（已脱敏）"), blank=True)
    reply = models.TextField(_("答复（已脱敏）"), blank=True)
    received_at = models.DateTimeField(_("提交时间"))
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    support_count = models.PositiveIntegerField(_("支持数"), default=0)
    version = models.PositiveIntegerField(_("当前版本"), default=0)
    # Segmented words of title, content and reply, space-separated, for full-text search.
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("公开信访件")
        verbose_name_plural = _("公开信访件")
        indexes = [
            # Ties of published_at (a batch approved at once) sort by id from the index too.
            models.Index(fields=["status", "-published_at", "-id"], name="board_pub_list"),
            models.Index(
                fields=["status", "region_code", "-published_at", "-id"], name="board_pub_region"
            ),
        ]

    def __str__(self) -> str:
        return self.title or str(self.case_id)


class PublicationVersion(models.Model):
    """Every text that was proposed or published, kept: what the public saw and when, and who
    approved it (takedowns and corrections never erase the record)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("标题"), max_length=200)
    content = models.TextField(_("诉求（已脱敏）"))
    reply = models.TextField(_("答复（已脱敏）"), blank=True)
    # What automatic redaction removed: {"phone": 2, "name": 1, ...} (counts only, no values).
    redactions = models.JSONField(default=dict)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("生成时间"))
    created_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("公开版本")
        verbose_name_plural = _("公开版本")
        constraints = [
            models.UniqueConstraint(fields=["publication", "number"], name="board_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.publication_id} v{self.number}"


class SupportKind(models.TextChoices):
    ME_TOO = "me_too", _("我也遇到")
    LIKE = "like", _("点赞")


class Support(models.Model):
    """One person's support of a case: "this is my issue too" while submitting, or a like on
    the board. `supporter` is a keyed digest (a signed-in citizen's phone blind index, else
    the client key), never the identity itself; one per person, kind and case."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="supports")
    kind = models.CharField(max_length=8, choices=SupportKind.choices)
    supporter = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("支持")
        verbose_name_plural = _("支持")
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "supporter"], name="board_support_once")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"
