"""Mails as real mailers write them (UTF-8 from a modern client, GB2312/GBK from older ones)."""

from __future__ import annotations

import base64
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
SENDER = "citizen@example.cn"
SENDER_NAME = "李四"
BODY = "尊敬的省长：\n我们小区自今年三月起每天停水数小时，多次向物业反映无果。\n恳请督促解决。"


def mail(
    *,
    to: str,
    subject: str | None = "小区长期停水问题",
    body: str | None = BODY,
    html: str | None = None,
    message_id: str | None = "<msg-1@example.cn>",
    sender: str = SENDER,
    sender_name: str = SENDER_NAME,
) -> EmailMessage:
    """A UTF-8 mail: text body, HTML body, or both (multipart/alternative)."""
    msg = EmailMessage()
    msg["From"] = Address(sender_name, addr_spec=sender)
    msg["To"] = to
    if subject is not None:
        msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    if body is not None:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    return msg


def as_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=SMTP)


def gb_mail(*, to: str, subject: str, body: str, label: str = "GB2312") -> bytes:
    """A mail as older Chinese clients send it: GBK bytes labelled `label`, base64 encoded."""
    encoded_subject = base64.b64encode(subject.encode("gbk")).decode()
    encoded_body = base64.encodebytes(body.encode("gbk")).decode()
    return (
        f"From: =?{label}?B?{base64.b64encode('王五'.encode('gbk')).decode()}?= <{SENDER}>\r\n"
        f"To: {to}\r\n"
        f"Subject: =?{label}?B?{encoded_subject}?=\r\n"
        f"Message-ID: <gb-{label}@example.cn>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: text/plain; charset="{label}"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n" + encoded_body.replace("\n", "\r\n")
    ).encode("ascii")
