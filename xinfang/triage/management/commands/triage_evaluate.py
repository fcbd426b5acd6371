from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.triage.classifier import get_model
from xinfang.triage.management.commands._common import data_argument, progress, rows_read
from xinfang.triage.offline import classification_scores


class Command(BaseCommand):
    help = (
        "Classify every row of a labelled CSV with the shipped model; print one JSON line "
        '{"n", "macro_f1", "accuracy", "per_class", "msgs_per_s", "unknown_labels"}. '
        "macro_f1 averages the model's classes; a row whose label is not a class is an error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        data_argument(parser)
        parser.add_argument(
            "--text-columns",
            default="留言主题,留言详情",
            help="comma-separated columns joined (with a space) into the text",
        )
        parser.add_argument("--label-column", default="一级标签")

    def handle(self, *args: Any, **options: Any) -> None:
        columns = tuple(c.strip() for c in options["text_columns"].split(",") if c.strip())
        label = options["label_column"].strip()
        if not columns or not label:
            raise CommandError("--text-columns and --label-column must name columns", returncode=2)
        rows = rows_read(options["data"], (*columns, label))
        model = get_model()
        texts = [" ".join(row[c] for c in columns) for row in rows]
        if texts:
            model.predict(texts[0])  # jieba's dictionary loads on first use: not in the rate
        predicted = []
        start = time.process_time()
        for done, text in enumerate(texts, 1):
            predicted.append(model.predict(text).label)
            progress(done, len(texts), "classified")
        cpu = time.process_time() - start
        gold = [row[label].strip() for row in rows]
        result = classification_scores(gold, predicted, model.classes)
        result["msgs_per_s"] = round(len(texts) / cpu, 1) if cpu > 0 else 0.0
        self.stdout.write(json.dumps(result, ensure_ascii=False))
