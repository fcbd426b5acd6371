"""Messages of proxy submission and the grid API, in Chinese and English."""

from __future__ import annotations

from xinfang.core.errors import Msg

NOT_PROXY_AGENT = Msg("您没有代理信访的权限。", "You may not submit petitions as a proxy.")
RELATION_CHOOSE = Msg("请选择代理关系。", "Choose your relation to the petitioner.")
DOCUMENT_REQUIRED = Msg(
    "律师或近亲属代理须上传信访人签署的授权委托书。",
    "Lawyers and relatives must upload the power of attorney signed by the petitioner.",
)
NO_DOCUMENT_REASON = Msg(
    "未上传授权委托书的，请说明原因。", "Without a power of attorney, state the reason."
)
CONSENT_REQUIRED = Msg(
    "须经信访人同意方可代理信访。", "The petitioner must agree to your submitting for them."
)
AGENT_CONTACT_REQUIRED = Msg(
    "请填写代理人的手机号码或电子邮箱，以便接收办理进度。",
    "Enter your phone number or e-mail address to receive progress notices.",
)
AGENT_EMAIL_INVALID = Msg("电子邮箱格式不正确。", "The e-mail address is invalid.")
NO_ANONYMOUS = Msg(
    "代理信访须实名，请填写信访人的姓名和手机号码。",
    "A proxy petition cannot be anonymous: enter the petitioner's name and phone.",
)
PROXY_NOTE = Msg("代理人代为提交（{relation}）", "Submitted by a proxy agent ({relation})")

EVENT_ID = Msg(
    "事件编号须为 1–64 个字母、数字或 . _ : - 字符。",
    "The event id must be 1–64 letters, digits or . _ : - characters.",
)
REGION_OUTSIDE_SYSTEM = Msg(
    "该地点不在本网格系统的管辖范围内。", "This place is outside this grid system's area."
)
PHOTO_ONE_OF = Msg(
    "每张照片须给出 url 或 content_base64 之一。",
    "Give each photo either a url or content_base64.",
)
PHOTO_URL = Msg("照片链接须为 http(s) 地址。", "A photo link must be an http(s) URL.")
TASK_DONE = Msg(
    "该核查任务已提交过不同的结果。", "A different result was already posted for this task."
)
TASK_CANCELLED = Msg("该核查任务已取消。", "This verification task was cancelled.")
TASK_NOT_FOUND = Msg("没有该核查任务。", "No such verification task.")
WORKER_NOT_HERE = Msg(
    "该网格员不负责本件问题属地。", "This grid worker does not cover the place of this petition."
)
ACCUSATION_NO_GRID = Msg(
    "检举控告件不派发网格核查：检举控告材料不得发往系统外（信访工作条例第三十条）。",
    "Accusations are not sent for grid verification: their material stays in the system (Art. 30).",
)
DUE_PAST = Msg("核查期限不能早于今天。", "The due date cannot be in the past.")
TASK_CREATED = Msg("派发网格核查任务：{question}", "Verification task sent: {question}")
TASK_RESULT = Msg("网格员现场核查结果：{result}", "On-site verification result: {result}")
TASK_CANCEL = Msg("撤回网格核查任务：{question}", "Verification task withdrawn: {question}")
