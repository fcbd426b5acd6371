"""The vocabulary of petition documents (文书): kinds and the coded values their fields take."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.cases.models import Outcome


class DocumentKind(models.TextChoices):
    RECEIPT_NOTICE = "receipt_notice", _("受理告知书")
    NOT_ACCEPTED_NOTICE = "not_accepted_notice", _("不予受理告知书")
    REDIRECT_NOTICE = "redirect_notice", _("告知书（非本机关职权）")
    DIVERT_NOTICE = "divert_notice", _("导入法定程序告知书")
    FORWARD_NOTICE = "forward_notice", _("转送告知书")
    ASSIGN_NOTICE = "assign_notice", _("交办通知")
    EXTENSION_NOTICE = "extension_notice", _("延期告知书")
    REPLY_OPINION = "reply_opinion", _("信访处理意见书")
    REEXAM_OPINION = "reexam_opinion", _("复查意见书")
    REVIEW_OPINION = "review_opinion", _("复核意见书")
    SUPERVISION_ORDER = "supervision_order", _("督办单")


# The kind's part of a document number (pinyin initials of its Chinese name).
KIND_SHORT: dict[DocumentKind, str] = {
    DocumentKind.RECEIPT_NOTICE: "SL",
    DocumentKind.NOT_ACCEPTED_NOTICE: "BSL",
    DocumentKind.REDIRECT_NOTICE: "GZ",
    DocumentKind.DIVERT_NOTICE: "DR",
    DocumentKind.FORWARD_NOTICE: "ZS",
    DocumentKind.ASSIGN_NOTICE: "JB",
    DocumentKind.EXTENSION_NOTICE: "YQ",
    DocumentKind.REPLY_OPINION: "YJ",
    DocumentKind.REEXAM_OPINION: "FC",
    DocumentKind.REVIEW_OPINION: "FH",
    DocumentKind.SUPERVISION_ORDER: "DB",
}

# Addressed to a unit, not to the petitioner: never shown on the citizen side.
INTERNAL_KINDS: frozenset[DocumentKind] = frozenset(
    {DocumentKind.ASSIGN_NOTICE, DocumentKind.SUPERVISION_ORDER}
)


class TemplateLanguage(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class DivertChannel(models.TextChoices):
    """Where a diverted item belongs instead of the 信访 procedure (R-DIV-1)."""

    COURT = "court", _("诉讼")
    ARBITRATION = "arbitration", _("仲裁")
    RECONSIDERATION = "reconsideration", _("行政复议")
    POLITICAL_LEGAL = "political_legal", _("涉法涉诉")
    DISCIPLINE = "discipline", _("纪检监察")
    OTHER_ORGAN = "other_organ", _("其他法定途径")


# The organ the petitioner is sent to when the notice names none in particular.
DIVERT_CHANNEL_ORGAN: dict[DivertChannel, str] = {
    DivertChannel.COURT: "人民法院",
    DivertChannel.ARBITRATION: "仲裁机构",
    DivertChannel.RECONSIDERATION: "行政复议机关",
    DivertChannel.POLITICAL_LEGAL: "政法机关",
    DivertChannel.DISCIPLINE: "纪检监察机关",
    DivertChannel.OTHER_ORGAN: "有权处理的机关",
}


class ReviewOutcome(models.TextChoices):
    """What a 复查/复核 organ does with the opinion under review."""

    UPHOLD = "uphold", _("维持")
    REVISE = "revise", _("变更")
    REVOKE = "revoke", _("撤销")


class SupervisionLevel(models.TextChoices):
    URGE = "urge", _("催办")
    SUPERVISE = "supervise", _("督办")
    CIRCULATE = "circulate", _("通报")


__all__ = [
    "DIVERT_CHANNEL_ORGAN",
    "INTERNAL_KINDS",
    "KIND_SHORT",
    "DivertChannel",
    "DocumentKind",
    "Outcome",
    "ReviewOutcome",
    "SupervisionLevel",
    "TemplateLanguage",
]
