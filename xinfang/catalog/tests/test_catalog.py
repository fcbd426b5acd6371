from __future__ import annotations

import pytest
from tablib import Dataset

from xinfang.catalog.admin import CategoryResource, DispatchRuleResource
from xinfang.catalog.defaults import taxonomy_rows
from xinfang.catalog.models import Category, DeadlineProfile, DispatchRule, PetitionType
from xinfang.catalog.selectors import dispatch_lookup
from xinfang.orgs.models import Region
from xinfang.orgs.tests.factories import make_org

pytestmark = pytest.mark.django_db


def test_default_catalogue_has_three_levels_with_codes() -> None:
    assert Category.objects.filter(level=1).count() == 16  # 15 of the taxonomy + 其他 (99)
    assert Category.objects.filter(level=2).count() == 119
    assert Category.objects.filter(level=3).count() == 518
    leaf = Category.objects.get(code="010101")
    assert (leaf.name, leaf.parent.code, leaf.parent.parent.code) == (
        "事故处理",
        "010100",
        "010000",
    )
    assert Category.objects.get(code="990000").name == "其他"
    for c in Category.objects.filter(level__gt=1).select_related("parent"):
        assert c.code.startswith(c.parent.code[: 2 * (c.level - 1)])


def test_taxonomy_codes_are_stable_and_unique() -> None:
    rows = taxonomy_rows()
    # Codes are published with petitions and dispatch rules: they must not drift.
    top = {code: name for code, name, level, _ in rows if level == 1}
    assert (top["010000"], top["060000"], top["150000"]) == (
        "城乡建设",
        "交通运输",
        "劳动和社会保障",
    )
    assert len({r[0] for r in rows}) == len(rows)


def test_petition_types_map_onto_the_statutory_kinds() -> None:
    kinds = dict(PetitionType.objects.values_list("code", "kind"))
    assert kinds == {
        "appeal": "appeal",
        "suggestion": "advice",
        "accusation": "accusation",
        "consultation": "consultation",
        "praise": "praise",
    }
    handling = DeadlineProfile.objects.get(code="handle-60d")
    assert (handling.amount, handling.unit) == (60, "calendar_day")
    assert DeadlineProfile.objects.get(code="objection-5wd").unit == "working_day"


def test_most_specific_dispatch_rule_wins() -> None:
    city, county = Region.objects.get(code="430100"), Region.objects.get(code="430102")
    housing_top, safety = Category.objects.get(code="010000"), Category.objects.get(code="010101")
    a = make_org(region_code="430100", name="市住建局")
    b = make_org(region_code="430102", name="区住建局")
    c = make_org(region_code="430102", name="区应急局")
    d = make_org(region_code="430100", name="市政府")
    DispatchRule.objects.create(category=housing_top, region=city, lead_org=a)
    DispatchRule.objects.create(category=housing_top, region=county, lead_org=b)
    DispatchRule.objects.create(category=safety, region=county, lead_org=c)
    DispatchRule.objects.create(category=None, region=city, lead_org=d)
    street = Region.objects.get(code="430102001")
    assert dispatch_lookup(category=safety, region=street).lead_org == c
    assert (
        dispatch_lookup(category=Category.objects.get(code="010102"), region=street).lead_org == b
    )
    assert dispatch_lookup(category=safety, region=Region.objects.get(code="430103")).lead_org == a
    assert (
        dispatch_lookup(category=Category.objects.get(code="020101"), region=street).lead_org == d
    )
    assert dispatch_lookup(category=None, region=Region.objects.get(code="430200")) is None


def test_catalogue_export_then_import_round_trips() -> None:
    exported = CategoryResource().export()
    csv_text = exported.csv
    assert "010101,事故处理,3,010100" in csv_text
    Category.objects.filter(code="010101").update(name="改过的名字")
    result = CategoryResource().import_data(Dataset().load(csv_text, format="csv"), dry_run=False)
    assert not result.has_errors()
    assert Category.objects.get(code="010101").name == "事故处理"


def test_dispatch_catalogue_imports_by_codes() -> None:
    make_org(region_code="430102", name="区住建局")
    lead = make_org(region_code="430102", name="区城管局")
    co = make_org(region_code="430102", name="区生态环境局")
    data = Dataset(headers=["category", "region", "lead_org", "co_orgs", "note", "is_active"])
    data.append(["010000", "430102", lead.code, co.code, "导入", "1"])
    result = DispatchRuleResource().import_data(data, dry_run=False)
    assert not result.has_errors()
    rule = DispatchRule.objects.get()
    assert rule.lead_org == lead
    assert list(rule.co_orgs.all()) == [co]
