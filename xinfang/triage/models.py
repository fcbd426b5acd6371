from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TextSignature(models.Model):
    """A petition's MinHash signature (minhash.NUM_PERM little-endian uint32 values): read
    only for the candidates a band look-up returns, to estimate their Jaccard similarity."""

    case = models.OneToOneField(
        "cases.Case",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("信访件"),
    )
    scheme = models.PositiveSmallIntegerField(_("签名方案"))
    signature = models.BinaryField(_("MinHash 签名"))

    class Meta:
        verbose_name = _("文本签名")
        verbose_name_plural = _("文本签名")

    def __str__(self) -> str:
        return f"{self.case_id}"


class TextBand(models.Model):
    """One LSH band key of a petition: texts sharing any (band, band_hash) are candidates.

    The composite primary key is the only index and starts with (band, band_hash), so the
    look-up is a set of index probes that read case ids from the index alone (an index-only
    scan on PostgreSQL), with no surrogate id column or second index to store (32 rows a case).

    No database constraint or index on `case`: deleting a case cascades to its TextSignature,
    and the look-up joins the signature table, so band rows left behind match nothing; an index
    on `case` only to delete them would grow the table by half. `text_band_purge` removes them.
    """

    pk = models.CompositePrimaryKey("band", "band_hash", "case")
    band = models.SmallIntegerField(_("分段"))
    band_hash = models.IntegerField(_("分段哈希"))
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("信访件"),
    )

    class Meta:
        verbose_name = _("文本分段键")
        verbose_name_plural = _("文本分段键")

    def __str__(self) -> str:
        return f"{self.band}:{self.band_hash}→{self.case_id}"
