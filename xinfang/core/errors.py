"""Domain errors and bilingual messages shared by every app."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import get_language


@dataclass(frozen=True, slots=True)
class Msg:
    """A user-facing message in both UI languages; the API returns both."""

    zh: str
    en: str

    def format(self, **kwargs: object) -> Msg:
        return Msg(self.zh.format(**kwargs), self.en.format(**kwargs))

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}

    def localized(self) -> str:
        return self.en if (get_language() or "").startswith("en") else self.zh

    def __str__(self) -> str:
        return self.localized()


class ApplicationError(Exception):
    """A request the domain refuses; carries a stable code and a bilingual message."""

    code = "application_error"
    http_status = 400

    def __init__(self, message: Msg, *, code: str | None = None) -> None:
        super().__init__(message.en)
        self.message = message
        if code:
            self.code = code


class FieldErrors(ApplicationError):
    """Input refused field by field: {field: [Msg, …]}. Nothing has been written."""

    code = "invalid"

    def __init__(self, errors: Mapping[str, list[Msg]]) -> None:
        super().__init__(Msg("提交的内容有误，请按提示修改。", "The submission has errors."))
        self.errors = dict(errors)

    def as_dict(self) -> dict[str, list[dict[str, str]]]:
        return {field: [m.as_dict() for m in msgs] for field, msgs in self.errors.items()}


class Conflict(ApplicationError):
    code = "conflict"
    http_status = 409
