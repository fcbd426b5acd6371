"""A petitioner's rewritten follow-up is the same matter; another complaint of theirs is not."""

from __future__ import annotations

from xinfang.cases.models import EventKind
from xinfang.cases.tests.factories import make_case
from xinfang.handling.tests.world import World
from xinfang.triage.matter import matter_reason, matter_text
from xinfang.triage.minhash import jaccard_estimate, signature

FIRST = (
    "芙蓉区翠竹园小区旁工地夜间施工噪音扰民",
    "翠竹园小区东侧的工地每天晚上十一点以后还在打桩，渣土车进进出出，居民无法入睡，"
    "请环保部门查处夜间违规施工。",
)
# The same person a month later: new title, the story retold, few shared phrases.
AGAIN = (
    "再次反映翠竹园旁边工地半夜打桩的问题",
    "上个月已经反映过，翠竹园东边那个工地半夜仍然打桩施工，噪音吵得老人小孩睡不着，"
    "至今没有人来处理，希望尽快制止。",
)
OTHER = (
    "芙蓉区某幼儿园收费过高",
    "孩子就读的民办幼儿园每学期收费上涨三成，没有任何公示，请教育局核查收费标准。",
)


def _jaccard(a: tuple[str, str], b: tuple[str, str]) -> float:
    sa, sb = signature("\n".join(a)), signature("\n".join(b))
    assert sa is not None
    assert sb is not None
    return jaccard_estimate(sa, sb)


def test_a_rewritten_follow_up_is_recognised_where_shared_phrases_are_too_few() -> None:
    assert _jaccard(FIRST, AGAIN) < 0.3  # the 3-gram test alone would miss it
    reason = matter_reason(matter_text(*FIRST), matter_text(*AGAIN), jaccard=_jaccard(FIRST, AGAIN))
    assert reason in {"words", "title", "place"}
    assert matter_reason(matter_text(*FIRST), matter_text(*OTHER), jaccard=0.0) is None


def test_triage_marks_the_follow_up_as_the_same_matter(world: World) -> None:
    first = make_case(title=FIRST[0], content=FIRST[1])
    make_case(title=OTHER[0], content=OTHER[1])
    again = make_case(title=AGAIN[0], content=AGAIN[1])
    repeats = {
        r["item_number"]: r for r in again.events.get(kind=EventKind.TRIAGE).payload["repeats"]
    }
    assert repeats[first.item_number]["same_matter"] is True
    assert repeats[first.item_number]["matter"] in {"words", "title", "place"}
    assert len(repeats) == 2
    assert [r["same_matter"] for n, r in repeats.items() if n != first.item_number] == [False]
