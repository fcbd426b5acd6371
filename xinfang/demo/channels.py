"""The demo's channels: a WeChat account, two leader mailboxes, an Open311 key, a grid system.

Every credential here is a fixed, published demo value, so the lines `seed_demo` prints (and
the README) work as written. Real installations issue random ones (admin, `open311_key`,
`grid_system`); the demo keeps only their digests too, written through the apps' services.
The proxy agent (孙代理, role proxy_agent) is one of units.DEMO_ACCOUNTS already.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from xinfang.catalog.models import PetitionType
from xinfang.core.credentials import credential_digest
from xinfang.grid.models import GridSystem
from xinfang.grid.services import WorkerData, grid_system_create, grid_workers_sync
from xinfang.mailbox.models import Mailbox
from xinfang.open311.models import ApiKey
from xinfang.open311.selectors import service_list
from xinfang.open311.services import api_key_issue
from xinfang.orgs.models import Org, Region
from xinfang.orgs.selectors import region_get
from xinfang.wechat.models import WechatAccount

Lines = list[tuple[str, str]]

# WeChat: plain-mode signatures need only the token, so the printed URL check is ready to run.
WECHAT_CODE = "changsha"
WECHAT_APPID = "wxdemo0000changsha"
WECHAT_SECRET = "DEMO-not-a-real-app-secret"  # published demo value
WECHAT_TOKEN = "xinfang-demo-token"  # published demo value
WECHAT_AES_KEY = "DemoOnlyXinfangEncodingAESKeyNotForRealUse0"  # 43 characters, as WeChat's
WECHAT_CHECK = ("1767225600", "demo")  # timestamp, nonce of the printed URL check

MAIL_DOMAIN = "xinfang.localhost"
# (address, name, owner org code, region code). The leaders' mailboxes are run by the petition
# bureaus of their level, which register the mail (the demo has staff there; a government
# office as owner would register it too, see mailbox.services).
MAILBOXES: list[tuple[str, str, str, str]] = [
    (f"shengzhang@{MAIL_DOMAIN}", "省长信箱", "430000-XFJ", "430000"),
    (f"changsha-shizhang@{MAIL_DOMAIN}", "长沙市长信箱", "430100-XFJ", "430100"),
]

OPEN311_KEY = "demo-open311-key-changsha-12345"  # published demo value
OPEN311_OWNER = "长沙市12345（演示 demo）"

GRID_CODE = "furong-grid"
GRID_REGION = "430102"  # 芙蓉区
GRID_TOKEN = "grid_demo-furong-token"  # published demo value
GRID_WORKERS = [
    WorkerData("W001", "张网格", "430102001-01", GRID_REGION, "13807310001"),
    WorkerData("W002", "李网格", "430102002-03", GRID_REGION, "13807310002"),
]


def wechat_signature(*parts: str) -> str:
    """WeChat's plain-mode signature: SHA-1 of the sorted token, timestamp and nonce."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324  # WeChat's


def _wechat_create() -> WechatAccount:
    account = WechatAccount.objects.filter(code=WECHAT_CODE).first()
    return account or WechatAccount.objects.create(
        code=WECHAT_CODE,
        name="长沙信访（演示 demo）",
        appid=WECHAT_APPID,
        app_secret=WECHAT_SECRET,
        token=WECHAT_TOKEN,
        encoding_aes_key=WECHAT_AES_KEY,
        region=Region.objects.get(code="430100"),
        org=Org.objects.get(code="430100-XFJ"),
    )


def _mailboxes_create() -> list[Mailbox]:
    appeal = PetitionType.objects.get(code="appeal")
    boxes = []
    for address, name, org_code, region_code in MAILBOXES:
        box = Mailbox.objects.filter(address__iexact=address).first()
        boxes.append(
            box
            or Mailbox.objects.create(
                address=address,
                name=name,
                owner_org=Org.objects.get(code=org_code),
                region=Region.objects.get(code=region_code),
                petition_type=appeal,
            )
        )
    return boxes


def _open311_key_create() -> ApiKey:
    """Issued like any key, with the published demo value (stored as a digest and prefix only,
    as every key is)."""
    key = ApiKey.objects.filter(digest=credential_digest(OPEN311_KEY)).first()
    if key is None:
        region = region_get(code="430100")
        key = api_key_issue(owner=OPEN311_OWNER, region=region, raw=OPEN311_KEY).api_key
    return key


def _grid_create() -> GridSystem:
    """Created like any grid system, with the published demo token."""
    system = GridSystem.objects.filter(code=GRID_CODE).first()
    if system is None:
        region = Region.objects.get(code=GRID_REGION)
        system = grid_system_create(
            code=GRID_CODE, name="芙蓉区网格化服务管理平台（演示）", region=region, token=GRID_TOKEN
        ).system
    grid_workers_sync(system=system, workers=GRID_WORKERS)  # update_or_create: idempotent
    return system


@transaction.atomic
def channels_create(progress: Callable[[str], None]) -> Lines:
    """Configure every channel of the demo once (a second run changes nothing) and return
    (channel, how to try it) lines for `seed_demo` to print."""
    account = _wechat_create()
    boxes = _mailboxes_create()
    _open311_key_create()
    system = _grid_create()
    progress(
        f"channels: WeChat {account.code}, {len(boxes)} mailboxes, Open311 key, grid {system.code}"
    )
    return (
        _wechat_lines(account)
        + _mail_lines(boxes)
        + _open311_lines()
        + _grid_lines()
        + _other_lines()
    )


def _site() -> str:
    return settings.XINFANG_SITE_URL.rstrip("/")


def _wechat_lines(account: WechatAccount) -> Lines:
    timestamp, nonce = WECHAT_CHECK
    sig = wechat_signature(WECHAT_TOKEN, timestamp, nonce)
    url = f"{_site()}/wechat/{account.code}/"
    return [
        (
            f"WeChat 微信公众号 {account.name}",
            f"server URL {url}  token {WECHAT_TOKEN}  (fake appid/secret: it cannot reach "
            f"WeChat's servers; callbacks and replies work, template notices fail)\n"
            f'curl "{url}?signature={sig}&timestamp={timestamp}&nonce={nonce}&echostr=hello"',
        )
    ]


def _mail_lines(boxes: list[Mailbox]) -> Lines:
    first = boxes[0].address
    return [
        (
            "Leader mailboxes 领导信箱",
            ", ".join(f"{b.name} <{b.address}>" for b in boxes) + "\n"
            "bin/run starts the receiver (else: python manage.py mailbox_smtpd --port 8025), then\n"
            f"swaks --server 127.0.0.1:8025 --to {first} --from citizen@example.com "
            '--header "Subject: 道路破损" '
            '--body "五一大道人行道破损，请修复。联系电话：13907311234"\n'
            "python -c \"import smtplib; smtplib.SMTP('127.0.0.1', 8025).sendmail("
            f"'citizen@example.com', ['{first}'], "
            "'Subject: road\\n\\nRoad broken on Wuyi Avenue, please fix.')\"",
        )
    ]


def _open311_lines() -> Lines:
    services = [s for s in service_list() if s.group == "城乡建设"] or service_list()
    code = services[0].code if services else "SERVICE_CODE"
    return [
        (
            "Open311 GeoReport v2",
            f"api_key {OPEN311_KEY}  (services: {_site()}/open311/v2/services.json)\n"
            f"curl -X POST {_site()}/open311/v2/requests.json -d api_key={OPEN311_KEY} "
            f'-d service_code={code} -d "address_string=五一大道 1 号，芙蓉区，长沙市" '
            '-d "description=五一大道人行道路面塌陷，存在安全隐患，请尽快修复。" '
            "-d first_name=明 -d last_name=李 -d phone=13907311234",
        )
    ]


def _grid_lines() -> Lines:
    body = (
        '{"event_id": "EV-DEMO-1", "grid_code": "430102001-01", '
        '"reporter": {"id": "W001", "name": "张网格", "phone": "13807310001"}, '
        '"place": {"region_code": "430102", "address": "五一大道 100 号小区门口"}, '
        '"category": "市容环境", "description": "小区门口垃圾堆放三天无人清运，居民反映强烈。", '
        '"occurred_at": "2026-11-27T09:30:00+08:00"}'
    )
    return [
        (
            "Grid API 网格化管理 (芙蓉区)",
            f"token {GRID_TOKEN}  workers W001 张网格, W002 李网格\n"
            f'curl -X POST {_site()}/api/grid/v1/events -H "Authorization: Bearer {GRID_TOKEN}" '
            f"-H 'Content-Type: application/json' -d '{body}'",
        )
    ]


def _other_lines() -> Lines:
    return [
        ("Proxy 网上信访代理", f"sign in as proxy (孙代理), then {_site()}/proxy/new/"),
        ("Hotline 12345 热线", f"sign in as registrar, then {_site()}/staff/hotline/"),
    ]
