"""Base for import/export resources of reference data."""

from __future__ import annotations

from typing import Any

from django.db import models
from import_export import resources


class RefDataResource(resources.ModelResource):
    """Spreadsheets give empty cells as None; non-null text columns want "" instead."""

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        model = self._meta.model
        for field in model._meta.get_fields():
            blank_text = isinstance(field, models.CharField | models.TextField) and not field.null
            if blank_text and field.name in row and row[field.name] is None:
                row[field.name] = ""
