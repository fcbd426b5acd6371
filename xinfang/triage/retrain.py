"""Retraining triage with the categories registrars confirmed or corrected (issue 4, items 1, 7).

``handling.services.case_classify`` appends a NOTE event ``{"classified": code, "first_level":
name, "suggested": …, "accepted": …}`` each time a registrar files a case under a category.
The latest such note of a case is a staff label. ``model_retrain`` adds those labels to the base
training file and fits a new first-level model and leaf index into a new directory. Staff labels
weigh more, and first levels the model does not know become classes once they have enough
examples. It compares the new model with the current one on ``dev_raw.csv`` and on a hold-out of
the staff labels. Nothing is overwritten unless the caller names the directory: the new model
is used only when ``XINFANG_TRIAGE_MODEL_DIR`` points at it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.utils import timezone

from xinfang.cases.models import Case, CaseEvent, EventKind
from xinfang.catalog.models import Category
from xinfang.triage import classifier, leaves, offline, textnorm, training

Log = Callable[[str], None]
BATCH = 1000


class RetrainError(Exception):
    """The retraining cannot run: missing data, or too few staff labels."""


@dataclass(frozen=True)
class Confirmed:
    """One case's latest staff label: its text and the category path chosen, first level
    first (one to three names)."""

    case_id: int
    title: str
    content: str
    path: tuple[str, ...]
    at: dt.datetime

    @property
    def first_level(self) -> str:
        return self.path[0]

    @property
    def leaf(self) -> str | None:
        return "/".join(self.path) if len(self.path) == 3 else None

    def tokens(self) -> list[str]:
        return textnorm.tokenize(textnorm.petition_text(self.title, self.content))


def confirmed_examples(*, since: dt.date | None = None) -> list[Confirmed]:
    """The latest classification note of every case (confirmed at or after ``since``), by case.

    A case classified twice counts once, with the later choice: a correction of a correction
    is the registrar's final word."""
    latest: dict[int, tuple[dt.datetime, str, str]] = {}
    notes = (
        CaseEvent.objects.filter(kind=EventKind.NOTE, payload__has_key="classified")
        .order_by("case_id", "created_at", "pk")
        .values_list("case_id", "created_at", "payload")
    )
    for case_id, at, payload in notes.iterator(chunk_size=BATCH):
        latest[case_id] = (at, str(payload["classified"]), str(payload.get("first_level", "")))
    if since is not None:
        start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
        latest = {c: v for c, v in latest.items() if v[0] >= start}
    paths = _category_paths({code for _, code, _ in latest.values()})
    out = []
    ids = sorted(latest)
    for i in range(0, len(ids), BATCH):
        rows = Case.objects.filter(pk__in=ids[i : i + BATCH]).values_list("pk", "title", "content")
        for pk, title, content in rows:
            at, code, first = latest[pk]
            path = paths.get(code) or ((first,) if first else ())
            if path:
                out.append(Confirmed(pk, title, content, path, at))
    return sorted(out, key=lambda c: c.case_id)


def _category_paths(codes: set[str]) -> dict[str, tuple[str, ...]]:
    """Code → names from the first level down (a catalogue has three levels)."""
    rows = Category.objects.filter(code__in=codes).select_related("parent__parent")
    paths = {}
    for c in rows:
        chain = [c.name]
        node = c.parent
        while node is not None:
            chain.append(node.name)
            node = node.parent
        paths[c.code] = tuple(reversed(chain))
    return paths


def catalogue_taxonomy() -> list[tuple[str, str, str]]:
    """The active leaves of the catalogue as (first, second, third) names, in code order."""
    rows = (
        Category.objects.filter(level=3, is_active=True)
        .select_related("parent__parent")
        .order_by("code")
    )
    return [
        (c.parent.parent.name, c.parent.name, c.name)
        for c in rows
        if c.parent is not None and c.parent.parent is not None
    ]


@dataclass(frozen=True)
class RetrainOptions:
    base: Path  # train_tokenized.csv: columns tokens, label
    out: Path
    dev: Path | None = None  # dev_raw.csv: raw messages with 一级标签
    since: dt.date | None = None
    min_confirmed: int = 20
    staff_weight: float = 3.0
    holdout: float = 0.2
    folds: int = 3
    dry_run: bool = False
    params: training.FitParams = field(default_factory=training.FitParams)


@dataclass
class _Split:
    train: list[Confirmed]
    holdout: list[Confirmed]
    new_classes: list[str]
    skipped: dict[str, int]


def _split(
    confirmed: list[Confirmed], known: set[str], min_confirmed: int, holdout: float
) -> _Split:
    """Keep labels of known classes and of new ones with enough examples; hold out every
    n-th label of each class (by case number, so the split is repeatable)."""
    counts = Counter(c.first_level for c in confirmed)
    new = sorted(c for c, n in counts.items() if c not in known and n >= min_confirmed)
    skipped = {c: n for c, n in sorted(counts.items()) if c not in known and n < min_confirmed}
    by_class: dict[str, list[Confirmed]] = defaultdict(list)
    for c in confirmed:
        if c.first_level not in skipped:
            by_class[c.first_level].append(c)
    step = round(1 / holdout) if holdout > 0 else 0
    train: list[Confirmed] = []
    held: list[Confirmed] = []
    for items in by_class.values():
        for i, c in enumerate(items):
            (held if step and i % step == step - 1 else train).append(c)
    return _Split(train, held, new, skipped)


def model_retrain(*, options: RetrainOptions, log: Log) -> dict[str, Any]:
    """Refit the first-level model and the leaf index with staff labels; write them to
    ``options.out`` and return the figures (see the module docstring)."""
    started = time.monotonic()
    if not options.base.is_file():
        raise RetrainError(
            f"base training file not found: {options.base} (set XINFANG_TRIAGE_TRAIN_DATA)"
        )
    try:
        docs, labels = training.training_file(options.base)
    except offline.DataError as exc:
        raise RetrainError(str(exc)) from exc
    confirmed = confirmed_examples(since=options.since)
    log(f"{len(confirmed)} cases with a confirmed category")
    split = _split(confirmed, set(labels), options.min_confirmed, options.holdout)
    used = len(split.train) + len(split.holdout)
    figures: dict[str, Any] = {
        "confirmed": len(confirmed),
        "used": used,
        "by_first_level": dict(sorted(Counter(c.first_level for c in confirmed).items())),
        "new_classes": split.new_classes,
        "skipped_classes": split.skipped,
        "base_examples": len(docs),
        "staff_train": len(split.train),
        "staff_holdout": len(split.holdout),
    }
    if used < options.min_confirmed:
        if options.dry_run:
            return {**figures, "ready": False}
        raise RetrainError(
            f"{used} usable confirmed labels, fewer than --min-confirmed {options.min_confirmed}"
        )
    if options.dry_run:
        return {**figures, "ready": True}
    staff_docs = [c.tokens() for c in split.train]
    all_docs = docs + staff_docs
    all_labels = labels + [c.first_level for c in split.train]
    weight = np.concatenate(
        [np.ones(len(docs)), np.full(len(staff_docs), float(options.staff_weight))]
    )
    current = classifier.get_model()
    temperature, cv = _temperature(all_docs, all_labels, weight, options, current, log)
    log(f"fitting on {len(all_docs)} examples ({len(staff_docs)} from staff)")
    model = training.fit(all_docs, all_labels, options.params, weight)
    training.export(model, temperature, options.out, _meta(options, figures, cv, len(all_docs)))
    log("building the leaf index")
    _leaves_write(all_docs, all_labels, split.train, len(docs), options.out, log)
    new = classifier.Model(options.out)
    figures |= {
        "classes": new.classes,
        "temperature": round(temperature, 3),
        "cv": cv,
        "holdout": _compare(current, new, split.holdout),
        "dev_raw": _dev(current, new, options.dev),
        "seconds": round(time.monotonic() - started, 1),
        "out": str(options.out),
    }
    (options.out / "retrain.json").write_text(
        json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return figures


def _temperature(
    docs: list[list[str]],
    labels: list[str],
    weight: np.ndarray,
    options: RetrainOptions,
    current: classifier.Model,
    log: Log,
) -> tuple[float, dict[str, Any] | None]:
    """From a cross-validation when asked and every class has enough examples for the folds,
    else the current model's."""
    folds = min(options.folds, min(Counter(labels).values()))
    if folds < 2:
        return current.temperature, None
    cv = training.cross_validate(docs, labels, options.params, folds, sample_weight=weight, log=log)
    return float(cv["temperature"]), cv


def _meta(
    options: RetrainOptions, figures: dict[str, Any], cv: dict[str, Any] | None, n: int
) -> dict[str, Any]:
    return {
        "source": f"{options.base.name} + {figures['staff_train']} staff-confirmed labels",
        "trained": timezone.now().date().isoformat(),
        "n_train": n,
        "staff_weight": options.staff_weight,
        "since": options.since.isoformat() if options.since else None,
        "algorithm": (
            f"LinearSVC(C={options.params.C}, class_weight=balanced, staff labels weighted "
            f"{options.staff_weight}), softmax temperature"
        ),
        "cv": cv,
    }


def _leaves_write(
    docs: list[list[str]],
    labels: list[str],
    staff: list[Confirmed],
    offset: int,
    out: Path,
    log: Log,
) -> None:
    """The leaf index over the catalogue as it is now; leaves staff chose get those messages
    as keyword evidence on top of the names' distant supervision."""
    confirmed: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(staff):
        if c.leaf:
            confirmed[c.leaf].append(offset + i)
    shipped = leaves.get_index(classifier.model_dir())
    data = training.leaf_index_build(
        docs,
        labels,
        catalogue_taxonomy(),
        confirmed=confirmed,
        settings=shipped.settings if shipped else None,
        extra={"source": "catalogue names, base training file and staff-confirmed labels"},
        log=log,
    )
    training.leaf_index_write(data, out)


def _compare(
    current: classifier.Model, new: classifier.Model, held: Iterable[Confirmed]
) -> dict[str, Any] | None:
    held = list(held)
    if not held:
        return None
    texts = [textnorm.petition_text(c.title, c.content) for c in held]
    gold = [c.first_level for c in held]
    return {
        "current": training.evaluate_texts(current, texts, gold),
        "new": training.evaluate_texts(new, texts, gold),
    }


def _dev(
    current: classifier.Model, new: classifier.Model, path: Path | None
) -> dict[str, Any] | None:
    if path is None or not path.is_file():
        return None
    try:
        rows = offline.csv_read(path, required=("留言主题", "留言详情", "一级标签"))
    except offline.DataError as exc:
        raise RetrainError(str(exc)) from exc
    texts = [textnorm.petition_text(r["留言主题"], r["留言详情"]) for r in rows]
    gold = [r["一级标签"] for r in rows]
    return {
        "current": training.evaluate_texts(current, texts, gold),
        "new": training.evaluate_texts(new, texts, gold),
    }
