"""The first-level classifier and its tokenisation, on the shipped model (no database)."""

from __future__ import annotations

import csv
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from xinfang.triage import classifier, textnorm

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "teddycup2020c"

# Written for these tests, one obvious case per class.
OBVIOUS = {
    "交通运输": "公交车司机经常闯红灯，公交线路站点设置不合理，出租车拒载乘客",
    "教育文体": "学校违规组织补课并收取费用，老师体罚学生，请教育局查处",
    "卫生计生": "医院医生乱开药乱收费，住院病人费用太高，请卫健委调查",
    "劳动和社会保障": "公司拖欠我们工资半年，社保也没有缴纳，请劳动监察部门帮忙讨薪",
    "环境保护": "化工厂夜间偷排废气，附近河水被污染发黑发臭，请环保局处理",
    "城乡建设": "开发商延期交房，小区房屋质量问题严重，物业不作为",
    "商贸旅游": "超市销售过期食品，商家虚假宣传，景区门票随意涨价",
}


def test_normalise_blanks_layout_characters_and_masked_pii():
    assert textnorm.normalise("甲\u3000乙\xa0丙_x000D_丁") == "甲 乙 丙 丁"
    assert textnorm.normalise("电话138****1234") == "电话138 1234"


def test_tokenize_drops_stop_words_punctuation_and_single_digits():
    tokens = textnorm.tokenize("我们小区的噪音很大\u3000，电话138****1234，3栋2018年")
    assert tokens == ["小区", "噪音", "很大", "电话", "138", "1234", "栋", "2018", "年"]


def test_filter_tokens_applies_the_same_filter_to_pretokenised_text():
    assert textnorm.filter_tokens(["的", "小区", "_x000D_", "7", "噪音", "，"]) == ["小区", "噪音"]


def test_stop_list_is_plain_text_of_words():
    words = textnorm.stopwords()
    assert {"的", "我们", "，", "*"} <= words
    assert "小区" not in words


def test_shipped_model_is_plain_arrays_and_json():
    files = {p.name for p in classifier.MODEL_DIR.iterdir()}
    assert {"model.json", "weights.npz", "stopwords.txt", "MODEL_CARD.md"} <= files
    assert not any(name.endswith((".pkl", ".pickle", ".joblib")) for name in files)
    with np.load(classifier.MODEL_DIR / "weights.npz", allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)
    with zipfile.ZipFile(classifier.MODEL_DIR / "weights.npz") as zf:
        assert all(name.endswith(".npy") for name in zf.namelist())


@pytest.mark.parametrize(("expected", "text"), OBVIOUS.items())
def test_obvious_messages_get_their_class(expected, text):
    assert classifier.classify(text).label == expected


def test_probabilities_sum_to_one_and_top_is_ranked():
    pred = classifier.classify("小区楼下烧烤店油烟和噪音扰民，晚上睡不着", k=3)
    assert set(pred.probabilities) == set(classifier.get_model().classes)
    assert sum(pred.probabilities.values()) == pytest.approx(1.0)
    assert all(0.0 <= p <= 1.0 for p in pred.probabilities.values())
    assert len(pred.top) == 3
    assert [p for _, p in pred.top] == sorted((p for _, p in pred.top), reverse=True)
    assert pred.top[0] == (pred.label, pred.probabilities[pred.label])


def test_empty_text_still_gives_a_distribution():
    pred = classifier.classify("")
    assert sum(pred.probabilities.values()) == pytest.approx(1.0)


def test_model_loads_once_per_process_across_threads():
    seen: list[classifier.Model] = []
    threads = [
        threading.Thread(target=lambda: seen.append(classifier.get_model())) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(m) for m in seen}) == 1


def test_numpy_scorer_reproduces_sklearn(tmp_path):
    pytest.importorskip("sklearn")
    from xinfang.triage import training

    docs = [textnorm.tokenize(t) for t in OBVIOUS.values() for _ in range(2)]
    docs += [textnorm.tokenize(t[::-1]) for t in OBVIOUS.values()]
    labels = [c for c in OBVIOUS for _ in range(2)] + list(OBVIOUS)
    params = training.FitParams(C=0.5, features=300, char_lo=1, char_hi=3)
    trained = training.fit(docs, labels, params)
    training.export(trained, 2.0, tmp_path, {})
    model = classifier.Model(tmp_path)
    sample = [textnorm.tokenize(t) for t in ("工厂污染河水，学校收费", "医院门口公交站", "")]
    expected = trained.decision(sample)
    got = np.array([model.decision(d) for d in sample])
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(
    not (DATA / "dev_raw.csv").exists(), reason="needs ../shared/data/teddycup2020c/dev_raw.csv"
)
def test_dev_raw_macro_f1_matches_the_model_card():
    from sklearn.metrics import f1_score

    with (DATA / "dev_raw.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    pred = [classifier.classify(textnorm.petition_text(r["留言主题"], r["留言详情"])) for r in rows]
    score = f1_score([r["一级标签"] for r in rows], [p.label for p in pred], average="macro")
    assert score >= 0.85
