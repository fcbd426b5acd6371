"""A raw e-mail turned into plain parts: subject, text body, sender and attached files.

Pure functions over bytes, so the SMTP receiver and the IMAP poller read mail the same way.
Chinese mail is often labelled GB2312 while holding GBK characters (堃, 镕 …), so every
GB-family label is decoded as GB18030, their common superset, instead of failing or replacing.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import EmailMessage, Message
from email.policy import default as default_policy
from email.utils import getaddresses

from bs4 import BeautifulSoup, Comment

from xinfang.intake.validation import RawFile

_GB_FAMILY = {"gb2312", "gbk", "x-gbk", "cp936", "euc-cn", "x-euc-cn", "gb_2312-80", "hz-gb-2312"}
# Elements whose text a reader never sees, or that only carry code.
_INVISIBLE = ("script", "style", "head", "title", "template", "noscript", "iframe", "object")
# Elements that end a line when a mail client renders them.
_BLOCKS = (
    "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "table", "section", "article", "header", "footer", "ul", "ol", "dl", "dt", "dd", "hr",
)  # fmt: skip
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class ParsedMail:
    subject: str
    body: str
    sender_address: str
    sender_name: str
    message_id: str
    files: list[RawFile] = field(default_factory=list)


def charset_codec(charset: str | None) -> str:
    """The codec to decode text labelled `charset` with (unknown labels fall back to UTF-8)."""
    label = (charset or "utf-8").strip().lower()
    if label in _GB_FAMILY:
        return "gb18030"
    try:
        "".encode(label)
    except LookupError:
        return "utf-8"
    return label


def _decode_bytes(raw: bytes, charset: str | None) -> str:
    if charset is None:
        # Unlabelled 8-bit text: UTF-8 if it is valid, else the usual Chinese legacy encoding.
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("gb18030", "replace")
    return raw.decode(charset_codec(charset), "replace")


def header_text(value: str | None) -> str:
    """A header's text with RFC 2047 encoded words decoded (GB labels as GB18030)."""
    if not value:
        return ""
    if not value.isascii():
        if any("\udc80" <= ch <= "\udcff" for ch in value):
            # Raw 8-bit header bytes (no RFC 2047), kept by the parser as surrogate escapes.
            return _decode_bytes(value.encode("ascii", "surrogateescape"), None)
        return " ".join(value.split())  # decoded already (e.g. an RFC 2231 file name)
    parts = []
    for chunk, charset in decode_header(value):
        parts.append(chunk if isinstance(chunk, str) else _decode_bytes(chunk, charset or "ascii"))
    return " ".join("".join(parts).split())


def part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return _decode_bytes(payload, part.get_content_charset())


def html_to_text(html: str) -> str:
    """The text a reader sees in an HTML mail: no markup, scripts or styles; lines kept."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_INVISIBLE):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    return soup.get_text()


def tidy_text(text: str) -> str:
    """Trailing spaces, runs of blank lines and mixed line ends normalised; text kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _body_part(msg: EmailMessage) -> Message | None:
    return msg.get_body(preferencelist=("plain", "html"))


def _is_attachment(part: Message, body: Message | None) -> bool:
    if part is body or part.is_multipart():
        return False
    disposition = part.get_content_disposition()
    if disposition == "attachment" or part.get_filename():
        return True
    # Unnamed text parts are the other alternatives of the body, not files.
    return part.get_content_maintype() not in ("text", "message", "multipart")


def _file_name(part: Message, index: int) -> str:
    name = header_text(part.get_filename() or "")
    return name or f"附件{index}"


def _attachments(msg: EmailMessage, body: Message | None) -> list[RawFile]:
    files: list[RawFile] = []
    for part in msg.walk():
        if not _is_attachment(part, body):
            continue
        content = part.get_payload(decode=True)
        data = content if isinstance(content, bytes) else b""
        files.append(RawFile(_file_name(part, len(files) + 1), data))
    return files


def _sender(msg: EmailMessage, envelope_sender: str) -> tuple[str, str]:
    """(address, display name) from From, else the envelope's MAIL FROM."""
    raw = next((value for name, value in msg.raw_items() if name.lower() == "from"), "")
    text = header_text(raw)
    for name, address in getaddresses([text]):
        if "@" in address:
            return address.strip(), name.strip()
    return envelope_sender.strip(), ""


def _raw_header(msg: Message, wanted: str) -> str:
    return next((str(v) for k, v in msg.raw_items() if k.lower() == wanted), "")


def mail_parse(raw: bytes, *, envelope_sender: str = "") -> ParsedMail:
    """Read a message as a petition sees it: decoded subject, text body (HTML made text),
    sender, Message-ID and every attached file (unchecked; intake checks them)."""
    msg = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(msg, EmailMessage)  # noqa: S101  # guaranteed by policy=default
    body_part = _body_part(msg)
    body = ""
    if body_part is not None:
        text = part_text(body_part)
        body = html_to_text(text) if body_part.get_content_subtype() == "html" else text
    address, name = _sender(msg, envelope_sender)
    return ParsedMail(
        subject=header_text(_raw_header(msg, "subject")),
        body=tidy_text(body),
        sender_address=address,
        sender_name=name,
        message_id=_raw_header(msg, "message-id").strip(),
        files=_attachments(msg, body_part),
    )
