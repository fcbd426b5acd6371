"""The demo's organisation tree: at each province/city/county a government, a petition bureau
and the usual departments; in the chosen cities, township and street offices."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from xinfang.catalog.models import Category, DispatchRule
from xinfang.orgs.models import Org, OrgKind, Region, RegionLevel, User
from xinfang.orgs.permissions import Role
from xinfang.orgs.services import membership_grant, org_create, user_create_staff

# (code suffix, name at province level, name below, first-level categories it leads)
DEPARTMENTS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("RS", "人力资源和社会保障厅", "人力资源和社会保障局", ("劳动和社会保障",)),
    ("ZJ", "住房和城乡建设厅", "住房和城乡建设局", ("城乡建设",)),
    ("CG", "城市管理和综合执法局", "城市管理和综合执法局", ()),
    ("ST", "生态环境厅", "生态环境局", ("环境保护",)),
    ("JY", "教育厅", "教育局", ("教育文体",)),
    ("WJ", "卫生健康委员会", "卫生健康局", ("卫生计生",)),
    ("JT", "交通运输厅", "交通运输局", ("交通运输",)),
    ("SJ", "市场监督管理局", "市场监督管理局", ("商贸旅游", "经济管理")),
    ("GA", "公安厅", "公安局", ("政法",)),
    ("MZ", "民政厅", "民政局", ("民政",)),
    ("NY", "农业农村厅", "农业农村局", ("农村农业",)),
    ("ZR", "自然资源厅", "自然资源局", ("国土资源",)),
]

DEMO_PASSWORD = "Xinfang-demo-2026"

# (username, full name, role, org code suffix, region code)
DEMO_ACCOUNTS: list[tuple[str, str, Role, str, str]] = [
    # The registrar, handler, unit head and revisit agent all work in 芙蓉区, so one demo case
    # can be followed through every queue; the county government's head decides 复查.
    ("registrar", "李登记", Role.REGISTRAR, "XFJ", "430102"),
    ("handler", "王承办", Role.HANDLER, "ZJ", "430102"),
    ("leader", "张局长", Role.UNIT_LEADER, "ZJ", "430102"),
    ("supervisor", "赵督办", Role.BUREAU_SUPERVISOR, "XFJ", "430000"),
    ("revisit", "陈回访", Role.REVISIT_AGENT, "XFJ", "430102"),
    ("reviewer", "黄复查", Role.UNIT_LEADER, "ZF", "430102"),
    ("analyst", "刘分析", Role.ANALYST, "XFJ", "430000"),
    ("sysadmin", "周管理", Role.ADMIN, "XFJ", "430000"),
    ("auditor", "吴审计", Role.AUDITOR, "XFJ", "430000"),
    ("proxy", "孙代理", Role.PROXY_AGENT, "ZF", "430102"),
]


def _level_name(region: Region, province_name: str, below_name: str) -> str:
    return f"{region.name}{province_name if region.level == RegionLevel.PROVINCE else below_name}"


def _create_region_units(region: Region, parent_gov: Org | None) -> Org:
    gov = org_create(
        code=f"{region.code}-ZF",
        name=f"{region.name}人民政府",
        kind=OrgKind.GOVERNMENT,
        region=region,
        parent=parent_gov,
    )
    org_create(
        code=f"{region.code}-XFJ",
        name=f"{region.name}信访局",
        kind=OrgKind.PETITION_BUREAU,
        region=region,
        parent=gov,
    )
    for suffix, prov_name, name, _cats in DEPARTMENTS:
        org_create(
            code=f"{region.code}-{suffix}",
            name=_level_name(region, prov_name, name),
            kind=OrgKind.DEPARTMENT,
            region=region,
            parent=gov,
        )
    return gov


@transaction.atomic
def units_create(*, progress: Callable[[str], None]) -> int:
    """Create the demo units once; returns how many exist afterwards."""
    if Org.objects.exists():
        return Org.objects.count()
    govs: dict[int, Org] = {}
    for region in Region.objects.order_by("level", "code"):
        parent_gov = govs.get(region.parent_id) if region.parent_id else None
        if region.level == RegionLevel.TOWNSHIP:
            suffix = "办事处" if region.name.endswith("街道") else "人民政府"
            org_create(
                code=f"{region.code}-ZF",
                name=f"{region.name}{suffix}",
                kind=OrgKind.TOWNSHIP,
                region=region,
                parent=parent_gov,
            )
            continue
        govs[region.pk] = _create_region_units(region, parent_gov)
    progress(f"{Org.objects.count()} units")
    return Org.objects.count()


@transaction.atomic
def dispatch_rules_create() -> int:
    """派单目录: at every province/city/county, each first-level category → its department."""
    if DispatchRule.objects.exists():
        return DispatchRule.objects.count()
    top = {c.name: c for c in Category.objects.filter(level=1)}
    orgs = {o.code: o for o in Org.objects.filter(kind=OrgKind.DEPARTMENT)}
    rules = []
    for region in Region.objects.exclude(level=RegionLevel.TOWNSHIP):
        for suffix, _p, _n, cats in DEPARTMENTS:
            for cat in cats:
                lead = orgs.get(f"{region.code}-{suffix}")
                if lead and cat in top:
                    rules.append(DispatchRule(category=top[cat], region=region, lead_org=lead))
    DispatchRule.objects.bulk_create(rules)
    return len(rules)


def accounts_create() -> list[tuple[str, str, str]]:
    """One demo account per role plus a superuser; returns (username, role, unit) rows."""
    rows: list[tuple[str, str, str]] = []
    if not User.objects.filter(username="admin").exists():
        user_create_staff(
            username="admin", password=DEMO_PASSWORD, full_name="超级管理员", is_superuser=True
        )
    rows.append(("admin", "superuser", "—"))
    refdata = _refdata_group()
    for username, full_name, role, suffix, region_code in DEMO_ACCOUNTS:
        org = Org.objects.get(code=f"{region_code}-{suffix}")
        user = User.objects.filter(username=username).first() or user_create_staff(
            username=username, password=DEMO_PASSWORD, full_name=full_name
        )
        membership_grant(user=user, org=org, role=role)
        if role == Role.ADMIN:
            user.groups.add(refdata)
        rows.append((username, role.value, org.name))
    return rows


def _refdata_group() -> Group:
    """Django model permissions for the reference-data screens (the admin role's tools)."""
    group, _ = Group.objects.get_or_create(name="参数管理 Reference data")
    perms = Permission.objects.filter(content_type__app_label__in=["orgs", "catalog"])
    group.permissions.set(perms)
    return group
