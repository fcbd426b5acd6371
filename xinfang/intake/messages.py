"""Every message intake shows a petitioner, in Chinese and English (API returns both)."""

from __future__ import annotations

from xinfang.core.errors import Msg

FIELD_LABELS: dict[str, Msg] = {
    "title": Msg("标题", "Title"),
    "content": Msg("诉求内容", "Your request"),
    "petition_type": Msg("信访类型", "Petition type"),
    "region_code": Msg("问题属地", "Region"),
    "category_code": Msg("内容分类", "Category"),
    "petitioner": Msg("信访人", "Petitioner"),
    "name": Msg("姓名", "Name"),
    "phone": Msg("手机号码", "Phone"),
    "id_number": Msg("身份证号", "ID number"),
    "address": Msg("住址", "Address"),
    "anonymous": Msg("匿名", "Anonymous"),
    "consent_publish": Msg("同意公开", "Consent to publish"),
    "accused_person": Msg("被反映人", "Accused person"),
    "accused_unit": Msg("被反映单位", "Accused unit"),
    "involved_count": Msg("涉及人数", "People involved"),
    "co_petitioners": Msg("共同信访人", "Co-petitioners"),
    "attachments": Msg("附件", "Attachments"),
    "filename": Msg("文件名", "File name"),
    "content_base64": Msg("文件内容", "File content"),
}

# Generic DRF error codes → message templates; {field} is the field's label.
# Fields chosen from a list get "please choose", not "please fill in".
CHOICE_FIELDS = frozenset({"petition_type", "region_code"})
CHOOSE = Msg("请选择{field}。", "Choose the {field_lower}.")

GENERIC: dict[str, Msg] = {
    "required": Msg("请填写{field}。", "{field} is required."),
    "null": Msg("{field}不能为空。", "{field} may not be null."),
    "blank": Msg("请填写{field}。", "{field} is required."),
    "max_length": Msg(
        "{field}不能超过{limit}个字。", "{field} must be at most {limit} characters."
    ),
    "min_length": Msg("{field}至少需要{limit}个字。", "{field} needs at least {limit} characters."),
    "invalid": Msg("{field}格式不正确。", "{field} has an invalid format."),
    "max_value": Msg("{field}不能大于{limit}。", "{field} must be at most {limit}."),
    "min_value": Msg("{field}不能小于{limit}。", "{field} must be at least {limit}."),
    "not_a_list": Msg("{field}应为列表。", "{field} must be a list."),
    "max_items": Msg("{field}最多{limit}项。", "{field} allows at most {limit} items."),
    "unknown_field": Msg("不支持的字段。", "Unknown field."),
}

PETITION_TYPE_UNKNOWN = Msg("未知的信访类型。", "Unknown petition type.")
REGION_UNKNOWN = Msg("未知的行政区划代码。", "Unknown region code.")
REGION_OUTSIDE = Msg("该地区不属于本平台受理范围。", "This region is outside this platform's area.")
CATEGORY_UNKNOWN = Msg("未知的内容分类代码。", "Unknown category code.")
NAME_REQUIRED = Msg("实名信访请填写姓名。", "Enter your name, or choose to petition anonymously.")
PHONE_REQUIRED = Msg(
    "实名信访请填写手机号码，以便接收办理进度。",
    "Enter a phone number so we can tell you about progress, or choose anonymous.",
)
NO_RECEIVER = Msg(
    "该地区尚未配置受理机构，请联系管理员。", "No receiving organ is configured for this region."
)
FILE_TYPE = Msg(
    "不支持的文件类型：仅限 JPG、PNG、GIF、WEBP、PDF、DOCX、XLSX。",
    "Forbidden file type: only JPG, PNG, GIF, WEBP, PDF, DOCX and XLSX are accepted.",
)
FILE_SIZE = Msg("单个文件不能超过 {mb} MB。", "Each file must be at most {mb} MB.")
FILE_COUNT = Msg("最多上传 {n} 个附件。", "At most {n} attachments.")
FILE_EMPTY = Msg("文件为空。", "The file is empty.")
FILE_BASE64 = Msg("文件内容不是有效的 Base64。", "File content is not valid base64.")
IDEMPOTENCY_KEY = Msg(
    "Idempotency-Key 须为 1–128 个可见 ASCII 字符。",
    "Idempotency-Key must be 1–128 printable ASCII characters.",
)
IDEMPOTENCY_REUSED = Msg(
    "该 Idempotency-Key 已用于另一份不同的信访。",
    "This Idempotency-Key was already used for a different petition.",
)
