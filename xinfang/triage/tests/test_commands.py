"""The three triage commands of issue 4 on small CSV files written here (our own sentences)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from xinfang.triage.offline import adjusted_rand, parse_time

ROOT = Path(__file__).resolve().parents[3]
HEADER = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "点赞数"]

SMELL = "梧桐苑小区垃圾站臭味熏天，夏天苍蝇成群，居民无法开窗，请环卫部门尽快搬迁垃圾站。"
WAGES = (
    "我们在工地干了半年活，包工头拖欠全体农民工工资八万元，多次讨要无果，"
    "家里老人看病急需用钱，恳请劳动监察部门督促支付。"
)
ROWS = [
    ["1", "U1", "梧桐苑小区垃圾站臭味扰民", "2019/3/1 08:00:00", SMELL, "2"],
    ["2", "U2", "梧桐苑垃圾站太臭了", "2019-03-02 09:10:00", "梧桐苑小区垃圾站" + SMELL[8:], "5"],
    ["3", "U3", "投诉梧桐苑小区垃圾站", "2019/3/3 10:20:30", SMELL + "已经反映多次。", "1"],
    ["4", "U4", "拖欠农民工工资", "2019/3/4 11:00:00", WAGES, "0"],
    ["5", "U4", "再次反映拖欠农民工工资问题", "2019/4/4 11:00:00", WAGES + "至今仍未解决。", "0"],
    [
        "6",
        "U5",
        "建议增开公交线路",
        "2019/3/5 12:00:00",
        "新区到火车站没有直达公交，上班族每天转车两次，建议公交公司开通一条直达线路。",
        "0",
    ],
]


def write_csv(path: Path, rows: list[list[str]], header: list[str], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def messages(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "messages.csv", ROWS, HEADER, "utf-8-sig")


def run(name: str, *args: str) -> list[dict[str, Any]]:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_evaluate_prints_one_json_line_of_scores(tmp_path: Path) -> None:
    labelled = [
        ["1", "U1", "拖欠工资", "2019/3/1 08:00:00", WAGES, "劳动和社会保障"],
        ["2", "U2", "垃圾站臭味", "2019/3/2 08:00:00", SMELL, "环境保护"],
        ["3", "U3", "公交线路", "2019/3/3 08:00:00", ROWS[5][4], "不存在的类"],
    ]
    path = write_csv(tmp_path / "dev.csv", labelled, [*HEADER[:5], "一级标签"], "utf-8")
    (result,) = run(
        "triage_evaluate",
        "--data",
        str(path),
        "--text-columns",
        "留言主题,留言详情",
        "--label-column",
        "一级标签",
    )
    assert {"n", "macro_f1", "accuracy", "per_class", "msgs_per_s"} <= set(result)
    assert result["n"] == 3
    assert result["unknown_labels"] == 1  # counted, and an error in the accuracy
    assert float(result["accuracy"]) <= 2 / 3 + 1e-3
    assert isinstance(result["per_class"], dict)
    assert "环境保护" in result["per_class"]
    assert float(result["msgs_per_s"]) > 0


def test_repeats_link_the_same_user_and_other_users(messages: Path) -> None:
    lines = {str(r["id"]): r for r in run("triage_repeats", "--data", str(messages))}
    assert list(lines) == ["1", "2", "3", "4", "5", "6"]
    assert all(set(r) == {"id", "repeat_of", "similar"} for r in lines.values())
    assert lines["5"]["repeat_of"] == ["4"]  # same user, same matter, earlier
    assert lines["4"]["repeat_of"] == []  # only earlier ones
    assert lines["4"]["similar"] == []  # U4's two messages are not "other users"
    assert "3" in lines["1"]["similar"]
    assert "1" in lines["3"]["similar"]
    assert lines["6"] == {"id": "6", "repeat_of": [], "similar": []}


def test_hot_issues_find_the_estate_cluster(messages: Path) -> None:
    lines = run("triage_hot_issues", "--data", str(messages))
    cluster = {str(r["id"]): r["cluster"] for r in lines}
    assert set(cluster) == {"1", "2", "3", "4", "5", "6"}
    assert cluster["1"] == cluster["2"] == cluster["3"] != -1
    assert cluster["6"] == -1
    gold = [0, 0, 0, -1, -1, -1]
    assert adjusted_rand(gold, [cluster[str(i)] for i in range(1, 7)]) >= 0.5


def test_gb18030_file_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", ROWS, HEADER, "gb18030")
    assert len(run("triage_repeats", "--data", str(path))) == len(ROWS)


def test_both_time_formats_parse() -> None:
    assert parse_time("2019/2/28 11:25:05").day == 28
    assert parse_time("2017-06-08 17:31:20").hour == 17


@pytest.mark.parametrize("name", ["triage_repeats", "triage_hot_issues"])
def test_missing_column_is_exit_status_2(tmp_path: Path, name: str) -> None:
    path = write_csv(tmp_path / "bad.csv", [r[:2] for r in ROWS], HEADER[:2], "utf-8")
    with pytest.raises(CommandError, match="留言主题") as caught:
        run(name, "--data", str(path))
    assert caught.value.returncode == 2


def test_evaluate_missing_file_and_label_column_are_exit_status_2(messages: Path) -> None:
    with pytest.raises(CommandError) as caught:
        run("triage_evaluate", "--data", str(messages.with_name("none.csv")))
    assert caught.value.returncode == 2
    with pytest.raises(CommandError, match="一级标签") as caught:
        run("triage_evaluate", "--data", str(messages))
    assert caught.value.returncode == 2


def test_bad_arguments_exit_2_from_the_command_line(messages: Path) -> None:
    for args in (["triage_repeats"], ["triage_hot_issues", "--data", str(messages.parent / "x")]):
        done = subprocess.run(  # noqa: S603  (our own interpreter and manage.py)
            [sys.executable, str(ROOT / "manage.py"), *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
