"""Text the mailbox writes into petitions and answers senders with (Chinese first)."""

from __future__ import annotations

from xinfang.core.errors import Msg

SKIPPED_HEADING = "【以下邮件附件未收录】"
SEE_ATTACHMENTS = "（详见附件）"
TITLE_FALLBACK = "{mailbox}来信"
TOO_LONG = Msg(
    "邮件正文超过 {n} 字，请精简或分多封发送。",
    "The mail body is longer than {n} characters; shorten it or split it into several mails.",
)
MESSAGE_ID_REUSED = Msg(
    "同一邮件标识已用于其他邮件，无法收录。",
    "This Message-ID was already used by other mails; the mail cannot be taken in.",
)
