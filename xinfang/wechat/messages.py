"""What the official account says to followers (Chinese msgids; English in the catalogue)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

WELCOME = _(
    "欢迎关注！本号受理群众来信：\n"
    "· 点击菜单“我要信访”或回复“我要信访”，按提示逐条填写；\n"
    "· 点击“查询进度”或回复“查询进度”，查看您提交事项的办理情况；\n"
    "· 回复“使用说明”查看帮助。\n"
    "办理进展将通过本号的模板消息通知您。"
)
HELP = _(
    "使用说明：\n"
    "1. 回复“我要信访”开始，依次回复类型、标题、内容、问题属地（可发送位置）、姓名和手机号"
    "（或“匿名”）、现场图片（可跳过），最后回复“确认”提交；\n"
    "2. 填写过程中随时回复“取消”放弃；\n"
    "3. 回复“查询进度”查看办理情况。"
)
IDLE_HINT = _("您好！回复“我要信访”开始填写，回复“查询进度”查看办理情况，回复“使用说明”查看帮助。")
UNSUPPORTED = _("暂不支持此类消息。请按提示回复文字，或发送图片、位置。")

START = _("好的，我们开始填写（随时回复“取消”可放弃）。\n请回复信访类型的序号：\n{types}")
START_AGAIN = _("已放弃之前未提交的内容，重新开始。")
H5_LINK = _('也可以<a href="{url}">点此打开网页表单</a>填写（链接{hours}小时内有效）。')
TYPE_ASK = _("请回复序号选择信访类型：\n{types}")
TITLE_ASK = _("请用一句话概括您的诉求（标题，{min}–{max}个字）。")
TITLE_LENGTH = _("标题需要{min}–{max}个字，请重新回复。")
CONTENT_ASK = _("请详细说明事情经过和具体诉求（{min}–{max}个字），写明时间、地点和涉及的人或单位。")
CONTENT_LENGTH = _("诉求内容需要{min}–{max}个字，请重新回复。")
REGION_ASK = _("问题发生在哪里？请发送位置，或回复地名（如：长沙市芙蓉区五一街道）。")
REGION_UNKNOWN = _("没有识别出具体地点，请回复更具体的地名（如：长沙市芙蓉区），或发送位置。")
REGION_OUTSIDE = _("该地点不在本平台受理范围内，请回复本省的地名。")
IDENTITY_ASK = _(
    "已选择问题属地：{region}。\n请回复您的姓名和手机号（如：张三 13907311234），"
    "以便接收办理进度；如不愿留名，请回复“匿名”。"
)
IDENTITY_BAD = _("请回复姓名和手机号（如：张三 13907311234），或回复“匿名”。")
IMAGES_ASK = _("如有现场照片或材料图片，请直接发送（最多{n}张）；没有或发送完毕请回复“完成”。")
IMAGE_SAVED = _("已收到第{n}张图片。可继续发送，发送完毕请回复“完成”。")
IMAGE_LIMIT = _("最多可发送{n}张图片，请回复“完成”继续。")
IMAGE_FAILED = _("图片未能保存（{reason}），请重新发送，或回复“完成”继续。")
IMAGE_NOT_NOW = _("现在请先回复文字。图片可在填写姓名和手机号之后发送。")
LOCATION_NOT_NOW = _("现在不需要发送位置。")
SUMMARY = _(
    "请核对：\n类型：{type}\n标题：{title}\n内容：{content}\n属地：{region}\n信访人：{person}\n图片：{images}张\n"
    "回复“确认”提交，“重填”重新填写，“取消”放弃。"
)
ANONYMOUS = _("匿名")
CANCELLED = _("已取消，未提交任何内容。需要时请回复“我要信访”重新开始。")
NOTHING_TO_CANCEL = _("当前没有正在填写的内容。")
SUBMITTED = _(
    "提交成功！\n信访件编号：{item}\n查询码：{code}\n我们将按规定期限办理，进展会通过本号通知您。"
    "回复“查询进度”可随时查看。"
)
SUBMITTED_SECRET = _("匿名查询验证码：{secret}（仅显示一次，请妥善保存）")
SUBMIT_FAILED = _("提交未成功：{errors}\n请回复“重填”修改，或回复“取消”放弃。")
QUERY_NONE = _("没有查到您通过本号提交的信访事项。回复“我要信访”开始填写。")
QUERY_HEAD = _("您通过本号提交的信访事项（最近{n}件）：")
QUERY_LINE = _("{i}. {item}「{title}」\n   {date}提交，当前状态：{status}")
