from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinfang.orgs.permissions import Role


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("省级 Province")
    CITY = 2, _("市级 Prefecture")
    COUNTY = 3, _("县级 County")
    TOWNSHIP = 4, _("乡级 Township/street")


class Region(models.Model):
    """An administrative division (national division code), seeded from the divisions data.

    `prefix` is the significant part of the code (43, 4301, 430102, 430102001): every
    division inside this one has a code starting with it, which makes subtree queries a
    single indexed LIKE on both SQLite and PostgreSQL.
    """

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    prefix = models.CharField(max_length=12, db_index=True)
    name = models.CharField(_("名称"), max_length=64)
    full_name = models.CharField(_("全称"), max_length=200)
    level = models.PositiveSmallIntegerField(_("层级"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return f"{self.full_name} ({self.code})"


class OrgKind(models.TextChoices):
    PARTY_COMMITTEE = "party", _("党委机关 Party organ")
    GOVERNMENT = "government", _("人民政府 People's government")
    DEPARTMENT = "department", _("政府部门 Government department")
    PETITION_BUREAU = "bureau", _("信访部门 Petition bureau")
    DISCIPLINE = "discipline", _("纪检监察机关 Discipline inspection")
    COURT = "court", _("人民法院 Court")
    PROCURATORATE = "procuratorate", _("人民检察院 Procuratorate")
    TOWNSHIP = "township", _("乡镇/街道 Township or street")
    COMMUNITY = "community", _("村/社区 Village or community")
    SOE = "soe", _("国有企事业单位 State-owned enterprise")
    OTHER = "other", _("其他 Other")


class Org(models.Model):
    """A unit of any kind (信访工作条例 Art. 2 covers every organ), tied to one region.

    `path` is the materialised ancestry ("/1/5/42/") so "this unit and those under it" is one
    indexed prefix query; it is written only by `orgs.services.org_create`/`org_move`.
    """

    code = models.CharField(_("机构代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    short_name = models.CharField(_("简称"), max_length=64, blank=True)
    kind = models.CharField(_("类别"), max_length=16, choices=OrgKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="orgs")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        indexes = [models.Index(fields=["region", "kind"])]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """Staff and proxy accounts. Citizens do not need an account to petition."""

    full_name = models.CharField(_("姓名"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username


class Membership(models.Model):
    """A user's role in one unit; a user may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        constraints = [
            models.UniqueConstraint(fields=["user", "org", "role"], name="membership_unique"),
        ]
        indexes = [models.Index(fields=["user"], condition=Q(is_active=True), name="ms_active")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.org} ({self.get_role_display()})"
