from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from xinfang.triage import training
from xinfang.triage.retrain import RetrainError, RetrainOptions, model_retrain


class Command(BaseCommand):
    help = (
        "Refit the triage classifier and leaf index with the categories registrars confirmed "
        "or corrected, added to the base training file (XINFANG_TRIAGE_TRAIN_DATA). Writes a "
        "new model directory (default var/triage-models/<time>; the shipped model only if "
        "--out names it) and prints one JSON line of figures; progress on stderr. Use it by "
        "setting XINFANG_TRIAGE_MODEL_DIR to the directory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, help="model directory to write")
        parser.add_argument("--since", help="only confirmations on or after this date (YYYY-MM-DD)")
        parser.add_argument(
            "--min-confirmed",
            type=int,
            default=20,
            help="staff labels needed to retrain, and per first level the model does not know",
        )
        parser.add_argument("--data", type=Path, help="base training file (tokens,label)")
        parser.add_argument("--dev", type=Path, help="raw messages with 一级标签 to compare on")
        parser.add_argument("--staff-weight", type=float, default=3.0)
        parser.add_argument("--holdout", type=float, default=0.2, help="share of staff labels")
        parser.add_argument("--folds", type=int, default=3, help="CV folds for the temperature")
        parser.add_argument("--dry-run", action="store_true", help="count, fit nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["data"] or Path(settings.XINFANG_TRIAGE_TRAIN_DATA)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        out = options["out"] or Path(settings.VAR_DIR) / "triage-models" / stamp
        if options["out"] is None and out.exists():
            raise CommandError(f"{out} exists; name a directory with --out", returncode=2)
        try:
            run = RetrainOptions(
                base=base,
                out=out,
                dev=options["dev"] or base.with_name("dev_raw.csv"),
                since=_date(options["since"]),
                min_confirmed=_at_least(options["min_confirmed"], 1, "--min-confirmed"),
                staff_weight=_positive(options["staff_weight"], "--staff-weight"),
                holdout=_share(options["holdout"]),
                folds=_at_least(options["folds"], 0, "--folds"),
                dry_run=options["dry_run"],
                params=training.FitParams(),
            )
            figures = model_retrain(options=run, log=_log)
        except RetrainError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(json.dumps(figures, ensure_ascii=False))


def _log(msg: str) -> None:
    print(f"[triage_retrain] {msg}", file=sys.stderr, flush=True)


def _date(raw: str | None) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise RetrainError(f"--since: not a date (YYYY-MM-DD): {raw!r}") from exc


def _at_least(value: int, low: int, name: str) -> int:
    if value < low:
        raise RetrainError(f"{name} must be at least {low}")
    return value


def _positive(value: float, name: str) -> float:
    if not value > 0:
        raise RetrainError(f"{name} must be positive")
    return value


def _share(value: float) -> float:
    if not 0 <= value < 1:
        raise RetrainError("--holdout must be in [0, 1)")
    return value
