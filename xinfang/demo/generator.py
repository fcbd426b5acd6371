"""Synthetic petitions for the demo and for load tests, from the project's own templates.

No text here comes from real petitions: sentences are written for this project and filled
with random places, numbers and names, so demo data looks plausible and carries no one's
personal information.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from xinfang.core.validators import id_check_digit

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文斌海燕玉兰春梅晓"
    "东小红德胜永康国庆"
)

# first-level category name → [(title, content)], {slots} filled by `_fill`.
TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "劳动和社会保障": [
        (
            "{company}拖欠工资{months}个月未发",
            "我在{place}{company}做{job}，从今年{month}月起公司一直拖欠工资，共{n}名工人被欠薪约{amount}元。"
            "多次找项目负责人都说没钱，请有关部门督促尽快发放。",
        ),
        (
            "养老保险缴费年限认定有误",
            "本人在{place}参保，办理退休时发现{year}年至{year2}年的缴费记录缺失，社保经办机构让我自己找原单位证明，"
            "原单位已经改制，请帮助核实认定。",
        ),
        (
            "工伤认定迟迟没有结果",
            "我于{month}月在{company}工地受伤，已提交工伤认定申请{n}个多月，至今没有结论，影响治疗费用报销，请求加快办理。",
        ),
    ],
    "城乡建设": [
        (
            "{estate}小区商品房逾期交房",
            "我们购买的{place}{estate}小区住房，合同约定{year}年{month}月交房，现已逾期{months}个月，开发商一直拖延，"
            "涉及业主约{n}户，请住建部门督促开发商履约。",
        ),
        (
            "{road}施工夜间噪音扰民",
            "{place}{road}附近工地每天晚上十点以后仍在施工，噪音很大，附近居民无法休息，请查处夜间违规施工。",
        ),
        (
            "老旧小区改造进度缓慢",
            "{place}{estate}小区列入老旧小区改造计划后，施工时断时续，道路挖开{months}个月未恢复，雨天出行困难，希望加快进度。",
        ),
        (
            "小区物业服务不到位",
            "{estate}小区物业公司收费后不履行职责，电梯多次故障、垃圾清运不及时，业主多次反映无果，请求主管部门处理。",
        ),
    ],
    "环境保护": [
        (
            "{company}夜间偷排废水",
            "{place}{company}经常在夜间向附近河道排放废水，水面发黑有异味，沿岸村民意见很大，请环保部门调查处理。",
        ),
        (
            "餐饮油烟直排影响居民",
            "{place}{road}一家烧烤店油烟未经净化直接排放，楼上住户窗户都不敢开，请求督促安装油烟净化设施。",
        ),
    ],
    "教育文体": [
        (
            "{school}违规收取补课费",
            "{place}{school}组织学生周末集中补课，每人收取费用{amount}元，家长不敢不交，请教育部门调查。",
        ),
        (
            "适龄儿童入学学位紧张",
            "我家孩子今年满六周岁，户籍在{place}，划片学校说学位已满，要求到较远的学校就读，希望合理安排学位。",
        ),
    ],
    "卫生计生": [
        (
            "医院收费项目不明确",
            "家人在{place}某医院住院{n}天，结算时发现多项收费项目看不懂，总费用{amount}元，请卫健部门核查是否合规。",
        ),
        (
            "社区卫生服务站药品短缺",
            "{place}社区卫生服务站常用慢性病药品经常缺货，老人只能跑到较远的医院开药，希望改善。",
        ),
    ],
    "交通运输": [
        (
            "{road}路面破损严重",
            "{place}{road}有多处坑洼，最大的坑直径约一米，夜间骑车非常危险，已有人摔伤，请尽快维修。",
        ),
        (
            "公交线路调整后出行不便",
            "{place}的公交线路调整后，附近居民到市区需要换乘两次，单程多花{n}十分钟，建议恢复原线路或增设站点。",
        ),
    ],
    "商贸旅游": [
        (
            "预付卡商家跑路无法退款",
            "我在{place}{company}办理了预付卡，余额{amount}元，商家突然关门联系不上，涉及会员{n}人，请求帮助维权。",
        ),
        (
            "景区强制消费",
            "在{place}某景区游玩时被导游带入购物店，不购物不让离开，请旅游主管部门查处。",
        ),
    ],
    "政法": [
        (
            "小区周边治安问题",
            "{place}{estate}小区附近近期连续发生电动车被盗，报警后没有进展，请求加强巡逻、尽快破案。",
        ),
    ],
    "民政": [
        (
            "低保申请长期未审批",
            "本人家庭困难，于{month}月向{place}提交低保申请，至今{months}个月没有答复，请帮助了解办理进度。",
        ),
        (
            "养老院服务质量差",
            "老人入住{place}一家养老院，护理人员不足，饭菜质量差，投诉后没有改进，请民政部门检查。",
        ),
    ],
    "农村农业": [
        (
            "惠农补贴未发放到位",
            "{place}部分农户的耕地地力保护补贴至今未到账，村里说名单报上去了，请核实发放情况。",
        ),
        (
            "农村饮水管道破裂停水",
            "{place}村里的饮水管道破裂{n}天了，全村停水，村民只能去远处挑水，请尽快抢修。",
        ),
    ],
    "国土资源": [
        (
            "征地补偿标准不公开",
            "{place}征地项目涉及我家承包地，补偿标准没有公示，村民对补偿金额有异议，请求公开并依法补偿。",
        ),
    ],
}
SUGGESTIONS = [
    (
        "建议在{road}增设过街天桥",
        "{place}{road}车流量大，学生上学过马路很危险，建议增设人行天桥或红绿灯。",
    ),
    (
        "建议延长政务服务中心办理时间",
        "上班族工作日很难请假办事，建议{place}政务服务中心周末开放半天。",
    ),
]
PRAISES = [
    (
        "感谢{place}工作人员热心帮助",
        "我到{place}办理业务时，工作人员耐心细致，帮我一次办好，特此表扬。",
    ),
]
CONSULTATIONS = [
    (
        "咨询灵活就业人员参保政策",
        "请问在{place}灵活就业人员如何参加职工养老保险，缴费基数怎么确定？",
    ),
]
ACCUSATIONS = [
    (
        "举报村干部虚报冒领补贴",
        "{place}某村干部在办理补贴过程中虚报人数、冒领资金，群众意见很大，请纪检监察机关调查。",
    ),
]

COMPANIES = [
    "宏达建筑公司",
    "新城劳务公司",
    "恒发置业",
    "顺丰餐饮",
    "金源化工厂",
    "众诚物业",
    "兴旺健身会所",
]
ESTATES = ["阳光花园", "金色家园", "湘江名苑", "幸福里", "翠湖新城", "锦绣华庭"]
ROADS = ["人民路", "解放路", "建设大道", "五一路", "芙蓉路", "湘江中路", "劳动路"]
SCHOOLS = ["第一中学", "实验小学", "育才学校", "新华中学"]
JOBS = ["钢筋工", "木工", "电工", "保洁", "厨师"]

CHANNEL_WEIGHTS = {
    "web": 30,
    "mobile": 25,
    "wechat": 15,
    "mailbox": 10,
    "hotline": 10,
    "api": 5,
    "letter": 5,
}


@dataclass(frozen=True)
class Generated:
    data: dict[str, Any]
    channel: str
    received_at: datetime
    category_name: str


def _fill(rng: random.Random, text: str, place: str) -> str:
    year = rng.randint(2019, 2025)
    return text.format(
        place=place,
        company=rng.choice(COMPANIES),
        estate=rng.choice(ESTATES),
        road=rng.choice(ROADS),
        school=rng.choice(SCHOOLS),
        job=rng.choice(JOBS),
        months=rng.randint(2, 8),
        month=rng.randint(1, 10),
        n=rng.randint(3, 60),
        amount=rng.randrange(3_000, 300_000, 100),
        year=year,
        year2=year + rng.randint(1, 4),
    )


def fake_phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def fake_id_number(rng: random.Random, region_code: str) -> str:
    birth = datetime(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))  # noqa: DTZ001
    first17 = f"{region_code[:6]}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_check_digit(first17)


def fake_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _pick_text(rng: random.Random, ptype: str) -> tuple[str, tuple[str, str]]:
    if ptype == "suggestion":
        return "城乡建设", rng.choice(SUGGESTIONS)
    if ptype == "praise":
        return "", rng.choice(PRAISES)
    if ptype == "consultation":
        return "劳动和社会保障", rng.choice(CONSULTATIONS)
    if ptype == "accusation":
        return "纪检监察", rng.choice(ACCUSATIONS)
    category = rng.choice(list(TEMPLATES))
    return category, rng.choice(TEMPLATES[category])


def petition(
    rng: random.Random, *, region_code: str, place: str, now: datetime, days: int = 90
) -> Generated:
    """One petition in the API's input shape, with channel and a receipt time in the window."""
    ptype = rng.choices(
        ["appeal", "suggestion", "accusation", "consultation", "praise"], weights=[62, 16, 8, 10, 4]
    )[0]
    category_name, (title, content) = _pick_text(rng, ptype)
    anonymous = rng.random() < (0.5 if ptype == "accusation" else 0.08)
    data: dict[str, Any] = {
        "title": _fill(rng, title, place)[:100],
        "content": _fill(rng, content, place),
        "petition_type": ptype,
        "region_code": region_code,
        "anonymous": anonymous,
        "consent_publish": ptype != "accusation" and rng.random() < 0.6,
    }
    if not anonymous:
        person = {"name": fake_name(rng), "phone": fake_phone(rng)}
        if rng.random() < 0.4:
            person["id_number"] = fake_id_number(rng, region_code)
        data["petitioner"] = person
    if ptype == "accusation":
        data["accused_unit"] = f"{place}某村民委员会"
    channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
    received = now - timedelta(seconds=rng.randrange(days * 86400))
    return Generated(data, channel, received, category_name)
