"""The monthly contribution of a BPJS Ketenagakerjaan participant *Bukan Penerima Upah* (BPU: informal workers,
the self-employed), from the income they declare.

The rules (PP 44/2015 on JKK and JKM as amended by PP 82/2019, Lampiran III; PP 46/2015 on JHT):

* the participant declares their own monthly income (*penghasilan yang dilaporkan*), from
  :data:`PENGHASILAN_MIN` (Rp1.000.000) to :data:`PENGHASILAN_MAX` (Rp20.700.000), so that JKK runs from
  Rp10.000 to Rp207.000;
* JKK (Jaminan Kecelakaan Kerja): 1% of the declared income;
* JKM (Jaminan Kematian): Rp6.800 a month, whatever the income;
* JHT (Jaminan Hari Tua), when the participant chooses it: 2% of the declared income.

At Rp1.000.000: JKK + JKM = Rp16.800, and Rp36.800 with JHT (the figures of the BPU service standard). Amounts are
whole rupiah, rounded half up. :func:`hitung_bpu` is the one place these rules live: the calculator page, the
command line (``python -m lib iuran bpu``), the BPU intake form and the pekerja-rentan budget use it.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from lib.base.errors import UserError

PENGHASILAN_MIN = 1_000_000
PENGHASILAN_MAX = 20_700_000
JKK_PERSEN = Decimal("1")
JKM = 6_800
JHT_PERSEN = Decimal("2")


class IuranError(UserError):
    """A declared income the rules do not accept (Indonesian message)."""


@dataclass(frozen=True)
class IuranBpu:
    """One month's contribution, in whole rupiah (``jht`` is 0 when not chosen)."""
    penghasilan: int
    jkk: int
    jkm: int
    jht: int

    @property
    def total(self) -> int:
        return self.jkk + self.jkm + self.jht

    def as_dict(self) -> dict:
        return {"penghasilan": self.penghasilan, "jkk": self.jkk, "jkm": self.jkm, "jht": self.jht,
                "total": self.total}


def _rupiah(n: int) -> str:
    return "Rp" + f"{n:,}".replace(",", ".")


def _persen(base: int, persen: Decimal) -> int:
    return int((Decimal(base) * persen / 100).quantize(Decimal(1), ROUND_HALF_UP))


def penghasilan_of(value) -> int:
    """A declared income as whole rupiah: an int, or text such as ``1.500.000`` / ``Rp 1.500.000``."""
    if isinstance(value, bool):
        raise IuranError("Penghasilan harus berupa angka rupiah, misalnya 1.500.000.")
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
    else:
        text = str(value or "").strip().lower().removeprefix("rp").strip().replace(".", "").replace(" ", "")
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise IuranError(f"Penghasilan “{value}” bukan angka; tulis misalnya 1.500.000.") from None
    if number != number.to_integral_value():
        raise IuranError("Penghasilan ditulis dalam rupiah utuh, tanpa sen.")
    return int(number)


def hitung_bpu(penghasilan, jht: bool = False, *, jkk_persen: Decimal = JKK_PERSEN, jkm: int = JKM,
               batas: bool = True) -> IuranBpu:
    """The monthly contribution at the declared income ``penghasilan``; JHT when ``jht``. ``jkk_persen`` and
    ``jkm`` may be an admin's setting (the pekerja-rentan budget); ``batas=False`` skips the income range for
    such a setting. :class:`IuranError` for an income that is not a number or outside the range."""
    amount = penghasilan_of(penghasilan)
    if amount <= 0:
        raise IuranError("Penghasilan harus lebih dari 0.")
    if batas and amount < PENGHASILAN_MIN:
        raise IuranError(f"Penghasilan yang dilaporkan paling sedikit {_rupiah(PENGHASILAN_MIN)} sebulan; tertulis "
                         f"{_rupiah(amount)}.")
    if batas and amount > PENGHASILAN_MAX:
        raise IuranError(f"Penghasilan yang dilaporkan paling banyak {_rupiah(PENGHASILAN_MAX)} sebulan; tertulis "
                         f"{_rupiah(amount)}.")
    return IuranBpu(amount, _persen(amount, Decimal(jkk_persen)), int(jkm), _persen(amount, JHT_PERSEN) if jht else 0)
