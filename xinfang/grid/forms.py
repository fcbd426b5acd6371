"""The workbench form that sends an on-site verification task to a grid worker."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xinfang.clock.engine import end_of_day
from xinfang.grid.models import GridWorker
from xinfang.grid.selectors import worker_of_case_event, workers_for_case
from xinfang.workbench.forms import TEXT, CaseForm


class WorkerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: GridWorker) -> str:
        return f"{obj.name}（{obj.grid_code} · {obj.region.name}）"


class VerificationTaskForm(CaseForm):
    worker = WorkerField(label=_("网格员"), queryset=GridWorker.objects.none())
    question = forms.CharField(label=_("核查事项"), widget=TEXT, max_length=1000)
    due = forms.DateField(label=_("核查期限"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["worker"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = workers_for_case(case=self.case)
        # The worker who reported the event knows the place best.
        reporter = worker_of_case_event(case=self.case)
        if reporter is not None:
            field.initial = reporter.pk

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("due"):
            cleaned["due_at"] = end_of_day(cleaned["due"])
        return cleaned
