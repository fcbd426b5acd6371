"""Base for import/export resources of reference data."""

from __future__ import annotations

from typing import Any

from django.db import models
from import_export import fields, resources
from import_export.widgets import ForeignKeyWidget, ManyToManyWidget


class RefDataResource(resources.ModelResource):
    """Spreadsheets give empty cells as None; non-null text columns want "" instead."""

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        model = self._meta.model
        for field in model._meta.get_fields():
            blank_text = isinstance(field, models.CharField | models.TextField) and not field.null
            if blank_text and field.name in row and row[field.name] is None:
                row[field.name] = ""


def by_code(attribute: str, model: type[models.Model], *, many: bool = False) -> fields.Field:
    """A column that refers to another reference row by its code, not its database id.

    Codes survive moving data between installations; ids do not.
    """
    widget: Any = (
        ManyToManyWidget(model, field="code", separator="|")
        if many
        else ForeignKeyWidget(model, field="code")
    )
    return fields.Field(attribute=attribute, column_name=attribute, widget=widget)
