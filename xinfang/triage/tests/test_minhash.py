"""Near-duplicate text detection: MinHash signatures, LSH band keys in the database."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xinfang.cases.tests.factories import make_case
from xinfang.orgs.tests.factories import make_bureau
from xinfang.triage import minhash
from xinfang.triage.models import TextBand, TextSignature
from xinfang.triage.offline import exact_jaccard
from xinfang.triage.selectors import similar_cases, similar_cases_of_case
from xinfang.triage.services import (
    text_band_purge,
    text_signature_store,
    text_signature_store_many,
)

NOISE = (
    "本人居住在芙蓉区东湖街道某小区，小区旁边的工地每天晚上十一点以后还在浇筑混凝土，"
    "搅拌车来回轰鸣，噪音很大，老人和孩子都无法入睡。多次拨打热线反映，工地只停了两天"
    "又继续施工，请环保和住建部门到现场查处夜间违规施工。联系电话138****5678。"
)
# The same complaint sent again by a neighbour: a few words changed, full-width digits,
# another masked phone number, different spacing and punctuation.
NOISE_EDITED = (
    "我住在芙蓉区东湖街道某小区， 小区旁边的工地每天晚上１１点以后还在浇筑混凝土！"
    "搅拌车来回轰鸣，噪音很大，老人和小孩都无法入睡。多次打热线反映，工地只停了两天"
    "又继续施工，恳请环保和住建部门到现场查处夜间违规施工 联系电话139*****21"
)
WAGES = (
    "我们在开福区某建筑工地做钢筋工，包工头从去年八月起拖欠我们十二个人的工资，一共四万多元，"
    "过年前答应结清，到现在电话也不接了，请劳动监察部门帮我们讨回血汗钱。"
)
SCHOOL = (
    "孩子就读的雨花区某民办小学今年秋季学期擅自提高伙食费和校服费，没有公示收费依据，"
    "家长多次询问学校都不答复，请教育局核查是否违规收费。"
)
PINNED_TEXT = "芙蓉区东湖街道夜间施工噪音扰民，请查处。"
PINNED_SHA256 = "9eb7a67e12b3a3b5fd08f1e156704d69"  # of its signature bytes, scheme 1


# --- pure functions --------------------------------------------------------------------------


def test_normalise_folds_width_case_blanks_and_masks():
    assert minhash.normalise("ＡＢＣ１２３　Ａｂｃ，测 试！") == "abc123abc测试"
    assert minhash.normalise("电话138****1234") == minhash.normalise("电话 138*1234")
    assert minhash.signature("反映ＡＢＣ小区１２号楼漏水") is not None
    assert minhash.to_bytes(minhash.signature("反映ＡＢＣ小区１２号楼漏水")) == minhash.to_bytes(
        minhash.signature("反映abc小区 12号楼漏水。")
    )


def test_signature_shape_and_empty_text():
    sig = minhash.signature(NOISE)
    assert sig is not None
    assert len(minhash.to_bytes(sig)) == minhash.SIGNATURE_BYTES
    assert (minhash.from_bytes(minhash.to_bytes(sig)) == sig).all()
    assert len(minhash.band_keys(sig)) == minhash.BANDS
    assert minhash.signature("  ，。！  ") is None
    assert minhash.signature("好") is not None  # shorter than a shingle: itself


def test_signature_is_pinned():
    # The stored band keys of every petition depend on these exact values.
    sig = minhash.signature(PINNED_TEXT)
    assert hashlib.sha256(minhash.to_bytes(sig)).hexdigest()[:32] == PINNED_SHA256


def test_signature_is_the_same_in_another_process():
    code = (
        "import sys; from xinfang.triage import minhash as m; "
        "sys.stdout.write(m.to_bytes(m.signature(sys.argv[1])).hex())"
    )
    other = subprocess.run(  # noqa: S603  (our interpreter, our code)
        [sys.executable, "-c", code, NOISE],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    ).stdout
    assert other == minhash.to_bytes(minhash.signature(NOISE)).hex()


def test_estimate_tracksexact_jaccard():
    for a, b in [(NOISE, NOISE_EDITED), (NOISE, WAGES), (WAGES, SCHOOL)]:
        estimate = minhash.jaccard_estimate(minhash.signature(a), minhash.signature(b))
        assert abs(estimate - exact_jaccard(a, b)) < 0.15
    assert exact_jaccard(NOISE, NOISE_EDITED) > 0.6
    assert exact_jaccard(NOISE, WAGES) < 0.1


def test_s_curve():
    assert minhash.BANDS * minhash.ROWS == minhash.NUM_PERM
    assert minhash.candidate_probability(0.2) < 0.06
    assert minhash.candidate_probability(0.5) > 0.85
    assert minhash.candidate_probability(0.6) > 0.98


# --- database --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_triage_job(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests store signatures themselves; the job after intake would do it first."""
    from types import SimpleNamespace

    monkeypatch.setattr(
        "xinfang.intake.services.case_triage_task", SimpleNamespace(enqueue=lambda **kw: None)
    )


@pytest.fixture
def cases(db):
    make_bureau("430102")
    return [make_case() for _ in range(4)]


@pytest.mark.django_db
def test_identical_and_edited_texts_are_found_unrelated_are_not(cases):
    noise, wages, school, _ = cases
    text_signature_store(case_id=noise.pk, text=NOISE)
    text_signature_store(case_id=wages.pk, text=WAGES)
    text_signature_store(case_id=school.pk, text=SCHOOL)

    assert similar_cases(text=NOISE) == [(noise.pk, 1.0)]
    found = similar_cases(text=NOISE_EDITED)
    assert [case_id for case_id, _ in found] == [noise.pk]
    assert found[0][1] >= 0.6
    assert similar_cases(text=WAGES) == [(wages.pk, 1.0)]
    assert similar_cases(text="市民反映公园路灯不亮，晚上散步很不方便，请尽快维修。") == []
    assert similar_cases(text="！！") == []


@pytest.mark.django_db
def test_threshold_limit_and_exclusion(cases):
    first, second, third, _ = cases
    text_signature_store(case_id=first.pk, text=NOISE)
    text_signature_store(case_id=second.pk, text=NOISE)
    text_signature_store(case_id=third.pk, text=NOISE_EDITED)

    ranked = similar_cases(text=NOISE)
    assert [case_id for case_id, _ in ranked] == [first.pk, second.pk, third.pk]
    assert similar_cases(text=NOISE, limit=1) == [(first.pk, 1.0)]
    assert similar_cases(text=NOISE, threshold=0.99) == [(first.pk, 1.0), (second.pk, 1.0)]
    assert similar_cases(text=NOISE, exclude_case_id=first.pk)[0] == (second.pk, 1.0)
    assert [c for c, _ in similar_cases_of_case(case_id=third.pk)] == [first.pk, second.pk]


@pytest.mark.django_db
def test_storing_again_replaces_the_keys(cases):
    case = cases[0]
    text_signature_store(case_id=case.pk, text=NOISE)
    text_signature_store(case_id=case.pk, text=WAGES)

    assert TextSignature.objects.count() == 1
    assert TextBand.objects.count() == minhash.BANDS
    assert similar_cases(text=NOISE) == []
    assert similar_cases(text=WAGES) == [(case.pk, 1.0)]
    assert text_signature_store(case_id=case.pk, text="……") is None
    assert TextBand.objects.count() == 0


@pytest.mark.django_db
def test_deleting_a_case_drops_it_from_the_look_up(cases):
    gone, kept, _, _ = cases
    text_signature_store_many(items=[(gone.pk, NOISE), (kept.pk, WAGES)])
    assert TextBand.objects.count() == 2 * minhash.BANDS

    gone.delete()

    assert not TextSignature.objects.filter(case_id=gone.pk).exists()
    assert similar_cases(text=NOISE) == []
    assert text_band_purge() == minhash.BANDS
    assert similar_cases(text=WAGES) == [(kept.pk, 1.0)]


@pytest.mark.django_db
def test_look_up_is_one_statement_whatever_is_stored(cases):
    text_signature_store(case_id=cases[0].pk, text=NOISE)
    with CaptureQueriesContext(connection) as few:
        similar_cases(text=NOISE_EDITED)
    extra = [make_case() for _ in range(6)]
    texts = [NOISE, NOISE_EDITED, WAGES, SCHOOL, NOISE + WAGES, SCHOOL + NOISE]
    text_signature_store_many(items=[(c.pk, t) for c, t in zip(extra, texts, strict=True)])
    with CaptureQueriesContext(connection) as many:
        assert len(similar_cases(text=NOISE_EDITED)) >= 3

    assert len(few) == len(many) == 1
    assert "triage_textband" in many[0]["sql"]


@pytest.mark.django_db
def test_candidate_query_uses_the_band_index(cases):
    text_signature_store(case_id=cases[0].pk, text=NOISE)
    with CaptureQueriesContext(connection) as captured:
        similar_cases(text=NOISE)
    sql = captured[0]["sql"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A handful of rows would be read sequentially; ask whether the index can serve.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "triage_textband_pkey" in plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "triage_textband_1 (band=? AND band_hash=?)" in plan
        assert "SCAN triage_textband" not in plan
