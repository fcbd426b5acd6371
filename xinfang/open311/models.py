"""Open311 GeoReport v2: the clients allowed to post, and what each delivery brought.

The petition itself is a `cases.Case` made by the intake service; `Open311Request` keeps only
what GeoReport carries that a petition has no column for (location, media URL, the token) and
what recognises a repeated delivery.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.core.fields import EncryptedTextField


class ApiKey(models.Model):
    """A client (a city's 12345 app, a partner platform) allowed to POST requests.

    Only the SHA-256 of the key is stored: the key is shown once when it is issued (admin or
    `manage.py open311_key`). Keys are 32 random bytes, so a fast hash is enough; `prefix`
    names the key in lists and logs without revealing it.
    """

    owner = models.CharField(_("使用方"), max_length=100)
    contact = models.CharField(_("联系人及联系方式"), max_length=200, blank=True)
    org = models.ForeignKey(
        "orgs.Org",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属单位"),
    )
    # Requests of a key with a region must be located inside it; the region is also where a
    # request goes when it names no place.
    region = models.ForeignKey(
        "orgs.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("限定区划"),
    )
    prefix = models.CharField(_("密钥前缀"), max_length=8, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    # For clients written for "batch" servers: POST answers with a token, resolved at once by
    # GET tokens/{token} (the petition is committed before the answer either way).
    returns_token = models.BooleanField(_("以令牌答复"), default=False)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["owner", "id"]
        verbose_name = _("Open311 接口密钥")
        verbose_name_plural = _("Open311 接口密钥")

    def __str__(self) -> str:
        return f"{self.owner} ({self.prefix}…)"


class Open311Request(models.Model):
    """One accepted GeoReport delivery and the petition it became.

    `fingerprint` is the digest of everything the client sent (see services.delivery_key); a
    delivery with the same fingerprint from the same key within the replay window is the same
    petition. The free-text address may name a home, so it is encrypted like other addresses.
    """

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="open311", verbose_name=_("信访件")
    )
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.PROTECT, related_name="requests", verbose_name=_("接口密钥")
    )
    token = models.CharField(max_length=32, unique=True)
    fingerprint = models.CharField(max_length=64)
    lat = models.FloatField(null=True, blank=True)
    long = models.FloatField(null=True, blank=True)
    address_string = EncryptedTextField(_("地址"), blank=True, context="open311.address")
    address_id = models.CharField(_("地址编号"), max_length=64, blank=True)
    media_url = models.URLField(_("媒体链接"), max_length=1000, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Open311 请求")
        verbose_name_plural = _("Open311 请求")
        indexes = [models.Index(fields=["api_key", "fingerprint", "created_at"])]

    def __str__(self) -> str:
        return self.token
