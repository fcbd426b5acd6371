"""The gazetteer on the test database's regions (Hunan, with Changsha's townships and streets).

Sentences are written for these tests; the evaluation on the shared message-board data only
counts matches and prints figures (its texts stay out of the repository).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from xinfang.core import refcache
from xinfang.orgs.models import Region, RegionLevel
from xinfang.triage.gazetteer import (
    Gazetteer,
    RegionRow,
    gazetteer_get,
    locate,
    surface_forms,
)

pytestmark = pytest.mark.django_db

MESSAGES = Path(settings.BASE_DIR).parent / "shared" / "data" / "teddycup2020c" / "messages.csv"


def codes(location):
    return [p.code for p in location.chain]


def test_full_names_give_the_street_with_its_chain_and_every_mention():
    text = "湖南省长沙市芙蓉区文艺路街道某小区楼下烧烤店每晚营业到凌晨两点，油烟噪音扰民。"
    loc = locate(text)
    assert loc.code == "430102001"
    assert loc.name == "文艺路街道"
    assert loc.level == RegionLevel.TOWNSHIP
    assert (loc.start, loc.end, loc.surface) == (9, 14, "文艺路街道")
    assert text[loc.start : loc.end] == loc.surface
    assert codes(loc) == ["430000", "430100", "430102", "430102001"]
    assert [m.surface for m in loc.mentions] == ["湖南省", "长沙市", "芙蓉区", "文艺路街道"]
    assert loc.confidence >= 0.95
    assert loc.candidates == ()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("我在长沙工作了十年，单位一直欠缴社保。", "430100"),  # the city, not 长沙县 inside it
        ("芙蓉这边的菜市场周末占道经营很严重。", "430102"),
        ("岳麓有所学校门口早晚堵车。", "430104"),  # 岳麓区, which contains 岳麓街道 too
        ("浏阳的烟花厂离村子太近了。", "430181"),
        ("湘西州的扶贫项目资金迟迟没有到位。", "433100"),
        ("城步县有村民反映饮水困难。", "430529"),
    ],
)
def test_short_forms_and_aliases(text, code):
    loc = locate(text)
    assert loc.code == code
    assert loc.confidence < 0.9  # weaker evidence than the full name


@pytest.mark.parametrize(
    ("text", "code", "surface"),
    [
        ("麓谷那边新开的工地半夜还在施工。", "430104011", "麓谷"),
        ("请文艺路街道办尽快处理小区积水。", "430102001", "文艺路街道办"),
        ("春华镇某村的水泥路修了一半停工了。", "430121106", "春华镇"),
        ("榔梨街道的农贸市场卫生很差。", "430121004", "榔梨街道"),  # 㮾梨 typed with 榔
        ("雷锋镇原来的卫生院现在没有医生坐诊。", "430112013", "雷锋镇"),  # now 雷锋街道
    ],
)
def test_township_and_street_names(text, code, surface):
    loc = locate(text)
    assert (loc.code, loc.surface) == (code, surface)
    assert loc.level == RegionLevel.TOWNSHIP
    assert codes(loc)[:2] == ["430000", "430100"]


def test_a_city_and_district_resolve_to_the_district_with_more_confidence():
    both = locate("长沙市岳麓区某楼盘延期交房已经一年多，开发商拒不回应。")
    alone = locate("岳麓区某楼盘延期交房已经一年多，开发商拒不回应。")
    assert both.code == alone.code == "430104"
    assert [m.code for m in both.mentions] == ["430100", "430104"]
    assert both.confidence > alone.confidence


def test_an_ambiguous_short_name_is_resolved_by_the_parent_mentioned_earlier():
    # 高桥 is both 雨花区高桥街道 and 长沙县高桥镇.
    yuhua = locate("我住雨花区，高桥那边的批发市场门口天天堵车。")
    changsha_county = locate("长沙县的高桥有家工厂排放刺鼻气体。")
    assert yuhua.code == "430111007"
    assert changsha_county.code == "430121109"
    assert yuhua.surface == changsha_county.surface == "高桥"


def test_an_unresolved_ambiguous_name_is_reported_at_the_common_ancestor():
    loc = locate("高桥有家工厂排放刺鼻气体。")
    assert loc.code == "430100"
    assert set(loc.candidates) == {"430111007", "430121109"}
    assert loc.confidence <= 0.3


def test_a_specific_match_outranks_an_unrelated_vaguer_one():
    loc = locate("我是岳麓区人，现在反映长沙县星沙街道一处违建。")
    assert loc.code == "430121001"
    assert loc.confidence < locate("长沙县星沙街道一处违建。").confidence  # a conflicting place


@pytest.mark.parametrize(
    "text",
    [
        "",
        "单位拖欠工资三个月，老板一直找借口不发。",
        "芙蓉中路上的路灯坏了很久。",  # a road, not 芙蓉区
        "黄兴路步行街的商铺乱摆摊。",  # a road, not 黄兴镇
        "在路口等了很久公交车都不来，中和一下意见吧。",  # everyday words that are stems
        "小区消防通道被车辆堵住。",  # 通道, not 通道侗族自治县
    ],
)
def test_no_place_gives_none(text):
    assert locate(text) is None


def test_masked_personal_data_does_not_stop_matching():
    text = "本人***，身份证号43**************，电话138****5678，住长沙县***春华镇***村。"
    loc = locate(text)
    assert loc.code == "430121106"
    assert text[loc.start : loc.end] == "春华镇"
    assert locate("姓名：***，地址：***，电话：***") is None


def test_within_limits_the_regions_searched():
    text = "长沙市芙蓉区某小区违建。"
    assert locate(text, within="4302") is None  # 株洲
    loc = locate(text, within="4301")
    assert loc.code == "430102"
    assert codes(loc) == ["430000", "430100", "430102"]
    with pytest.raises(ValueError, match="division prefix"):
        locate(text, within="长沙")


def test_the_automaton_is_built_once_and_rebuilt_when_regions_change():
    assert gazetteer_get() is gazetteer_get()
    assert locate("示例岭街道的路灯坏了。") is None
    furong = Region.objects.get(code="430102")
    Region.objects.create(
        code="430102999",
        prefix="430102999",
        name="示例岭街道",
        full_name="湖南省长沙市芙蓉区示例岭街道",
        level=RegionLevel.TOWNSHIP,
        parent=furong,
    )
    assert locate("示例岭街道的路灯坏了。") is None  # still the cached automaton
    refcache.clear()  # what orgs.services.region_load_divisions does after a load
    assert locate("示例岭街道的路灯坏了。").code == "430102999"


def test_a_full_name_is_never_read_as_another_regions_short_form():
    rows = [
        RegionRow(1, "430000", "湖南省", 1, None),
        RegionRow(2, "430100", "长沙市", 2, 1),
        RegionRow(3, "430102", "芙蓉区", 3, 2),
        RegionRow(4, "430121", "长沙县", 3, 2),
        RegionRow(5, "430102801", "桃花岭", 4, 3),  # a farm-like unit named without suffix
        RegionRow(6, "430121801", "桃花岭镇", 4, 4),
    ]
    loc = Gazetteer(rows).locate("桃花岭的垃圾站搬迁了吗？")
    assert loc.code == "430102801"
    assert loc.candidates == ()


def test_surface_forms():
    assert dict(surface_forms("湘西土家族苗族自治州", 2)) == {
        "湘西土家族苗族自治州": 2,
        "湘西州": 1,
        "湘西": 0,
    }
    forms = dict(surface_forms("㮾梨街道", 4))
    assert {"榔梨街道", "榔梨街道办事处", "榔梨镇", "榔梨"} <= set(forms)
    assert "路口" not in dict(surface_forms("路口镇", 4))  # an everyday word
    assert dict(surface_forms("道县", 3)) == {"道县": 0}  # two characters: weak


@pytest.mark.skipif(not MESSAGES.exists(), reason=f"shared data not present: {MESSAGES}")
def test_evaluation_on_the_message_board_data():
    with MESSAGES.open(encoding="utf-8") as handle:
        texts = [f"{r['留言主题']}\n{r['留言详情']}" for r in csv.DictReader(handle)]
    found = [locate(t) for t in texts]
    levels = Counter(loc.level if loc else 0 for loc in found)
    lengths = sorted(len(t) for t in texts)
    print(
        f"gazetteer messages.csv: n={len(texts)} township={levels[4]} county={levels[3]} "
        f"city={levels[2]} province={levels[1]} none={levels[0]} "
        f"ambiguous={sum(1 for loc in found if loc and loc.candidates)} "
        f"median_chars={lengths[len(lengths) // 2]}"
    )
    # Places are anonymised (A市, A3区) but streets are real: about 30% name one.
    assert levels[4] / len(texts) > 0.25  # speed: make bench-triage (locate is part of it)
