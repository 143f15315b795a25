"""Printable documents as data: one DOCX template per document (docxtpl: Jinja placeholders in a Word file).

The shipped template of each document is in ``data/templates/`` (made by ``data/templates/buat_templat.py``);
an agency replaces it on the *Templat dokumen* page with a DOCX edited in Word (:func:`replace`). Every uploaded
version is kept in the database and the newest is used. An upload is checked by rendering it once against the
document's sample data: an unknown placeholder, or a broken one, is refused with its name.

Templates render in Jinja's sandbox (an uploaded template cannot reach Python objects) with every value
XML-escaped, and a placeholder without a value is an error, never a silent blank.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import segno
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.base import archive, audit
from lib.base.db import ROOT, DocumentTemplate, User, utcnow
from lib.base.errors import UserError
from lib.base.permissions import Actor, require

TEMPLATE_DIR = ROOT / "data" / "templates"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_TEMPLATE_MB = 5


class TemplateRefused(UserError):
    """An uploaded template cannot be used (Indonesian message naming the placeholder); nothing was stored."""


#: Placeholders every letter has (the kop surat, the date and the signature).
COMMON: dict[str, str] = {
    "pemerintah": "Nama pemerintah daerah, mis. “Kota Pagar Alam” (kop surat)",
    "instansi": "Nama dinas (kop surat)",
    "kota": "Kota tempat surat dibuat",
    "tanggal": "Tanggal dokumen, mis. “5 Desember 2026”",
    "ttd_jabatan": "Jabatan penanda tangan",
    "ttd_nama": "Nama penanda tangan",
    "ttd_pangkat": "Pangkat/golongan penanda tangan",
    "ttd_nip": "NIP penanda tangan",
}
LETTER: dict[str, str] = {
    "nomor_surat": "Nomor surat dari agenda surat keluar",
    "lampiran": "Isi baris “Lampiran” (mis. “1 berkas” atau “-”)",
    "tembusan": "Daftar tembusan (daftar teks; dipakai dalam {% for t in tembusan %})",
}
_SIGNER = {"ttd_jabatan": "Kepala Dinas", "ttd_nama": "NAMA PEJABAT", "ttd_pangkat": "Pembina Utama Muda / IV.c",
           "ttd_nip": "197001011995031001"}
_SAMPLE_COMMON = {"pemerintah": "Kota Contoh", "instansi": "Dinas Tenaga Kerja Kota Contoh", "kota": "Contoh",
                  "tanggal": "5 Desember 2026", **_SIGNER}
_SAMPLE_LETTER = {"nomor_surat": "1/560/TK/2026", "lampiran": "-", "tembusan": ["Kepala Dinas", "Arsip"]}


@dataclass(frozen=True)
class DocSpec:
    kode: str
    judul: str
    #: Where and when the portal offers it (Indonesian, shown on the templates page and in the README).
    kapan: str
    placeholders: dict[str, str]
    sample: dict
    #: Whether the document carries a person's data (its downloads are logged as exports).
    personal: bool = True
    #: The archive classification code the letter's number carries ({kode} in the pattern); None: no number.
    klasifikasi: str | None = None
    images: tuple[str, ...] = field(default=())


def _spec(kode, judul, kapan, own: dict[str, str], sample: dict, letter: bool = False, **kw) -> DocSpec:
    placeholders = {**COMMON, **(LETTER if letter else {}), **own}
    return DocSpec(kode, judul, kapan, placeholders,
                   {**_SAMPLE_COMMON, **(_SAMPLE_LETTER if letter else {}), **sample}, **kw)


_CASE = {"nomor_register": "Nomor register berkas, mis. “AK1/2026/00042”", "layanan": "Nama layanan (SOP)"}
DOCUMENTS: dict[str, DocSpec] = {d.kode: d for d in (
    _spec("tanda_terima", "Tanda terima berkas", "Halaman berkas, sejak berkas didaftarkan",
          {**_CASE, "nama_pemohon": "Nama pemohon", "nik_samar": "NIK tersamar (3201********0003)",
           "waktu_terima": "Tanggal dan jam berkas diterima", "petugas": "Nama petugas penerima",
           "kelengkapan": "Daftar kelengkapan: setiap butir punya k.no, k.nama, k.ada (“Ada”/“Belum ada”)",
           "tautan_status": "Alamat halaman Cek status berkas", "qr": "Kode QR ke halaman Cek status berkas"},
          {"nomor_register": "AK1/2026/00001", "layanan": "Penerbitan Kartu Pencari Kerja (AK1)",
           "nama_pemohon": "Nama Pemohon", "nik_samar": "1671********0003", "waktu_terima": "5 Desember 2026 09.15",
           "petugas": "Petugas", "kelengkapan": [{"no": 1, "nama": "FC KTP", "ada": "Ada"}],
           "tautan_status": "https://portal.example/cek-status", "qr": None}, images=("qr",)),
    _spec("pengembalian", "Surat pengembalian berkas", "Halaman berkas, saat berkas dikembalikan ke pemohon",
          {**_CASE, "nama_pemohon": "Nama pemohon", "tanggal_masuk": "Tanggal berkas pertama diterima",
           "kekurangan": "Daftar kelengkapan yang belum ada (daftar teks)",
           "catatan": "Catatan petugas saat mengembalikan berkas"},
          {"nomor_register": "AK1/2026/00001", "layanan": "Penerbitan Kartu Pencari Kerja (AK1)",
           "nama_pemohon": "Nama Pemohon", "tanggal_masuk": "1 Desember 2026", "kekurangan": ["FC KTP"],
           "catatan": ""}, letter=True, klasifikasi="560"),
    _spec("kartu_ak1", "Kartu AK/I", "Halaman berkas AK1, sejak langkah “Input data dan proses cetak AK1”",
          {"nomor_register": _CASE["nomor_register"], "nama": "Nama lengkap", "nik": "NIK lengkap",
           "tanggal_lahir": "Tanggal lahir", "jenis_kelamin": "Jenis kelamin", "pendidikan": "Pendidikan terakhir",
           "alamat": "Alamat", "no_hp": "Nomor HP", "berlaku_sampai": "Tanggal akhir masa berlaku (2 tahun)"},
          {"nomor_register": "AK1/2026/00001", "nama": "Nama Pemohon", "nik": "1671011505950003",
           "tanggal_lahir": "15 Mei 1995", "jenis_kelamin": "Laki-laki", "pendidikan": "SMA/SMK", "alamat": "-",
           "no_hp": "-", "berlaku_sampai": "5 Desember 2028"}),
    _spec("rekomendasi_paspor", "Surat rekomendasi paspor",
          "Halaman berkas rekomendasi paspor, sejak langkah “membuat Rekomendasi Paspor”",
          {"nomor_register": _CASE["nomor_register"], "nama": "Nama pemohon", "nik": "NIK lengkap",
           "tanggal_lahir": "Tanggal lahir", "negara_tujuan": "Negara tujuan",
           "perusahaan_penempatan": "Perusahaan penempatan"},
          {"nomor_register": "PASPOR/2026/00001", "nama": "Nama Pemohon", "nik": "1671011505950003",
           "tanggal_lahir": "15 Mei 1995", "negara_tujuan": "Malaysia", "perusahaan_penempatan": "PT Contoh"},
          letter=True, klasifikasi="560"),
    _spec("konfirmasi_desa", "Surat permintaan konfirmasi desa",
          "Halaman Pekerja rentan, tab surat konfirmasi: satu surat per desa yang daftarnya sudah diverifikasi",
          {"desa": "Nama desa/kelurahan", "kecamatan": "Nama kecamatan", "kohort": "Nama kohort",
           "jumlah": "Jumlah calon pada daftar", "batas_jawaban": "Tanggal batas jawaban (hari kerja)",
           "hari_kerja": "Jumlah hari kerja untuk menjawab",
           "calon": "Daftar calon: setiap baris punya c.no, c.nik, c.nama, c.alamat"},
          {"desa": "Karang Dalo", "kecamatan": "Dempo Tengah", "kohort": "Kohort 2026", "jumlah": 1,
           "batas_jawaban": "12 Desember 2026", "hari_kerja": 5,
           "calon": [{"no": 1, "nik": "1671011505950003", "nama": "Nama Calon", "alamat": "-"}]},
          letter=True, klasifikasi="400.9"),
    _spec("lampiran_sk", "Lampiran SK peserta kohort", "Halaman Pekerja rentan, tab SK dan anggaran",
          {"sk": "“SK nomor … tanggal …” atau “RANCANGAN SK” sebelum SK ditetapkan", "kohort": "Nama kohort",
           "jumlah": "Jumlah peserta",
           "peserta": "Daftar peserta: setiap baris punya p.no, p.nik, p.nama, p.desa, p.kecamatan"},
          {"sk": "SK NOMOR 1 TAHUN 2026", "kohort": "Kohort 2026", "jumlah": 1,
           "peserta": [{"no": 1, "nik": "1671011505950003", "nama": "Nama Peserta", "desa": "Karang Dalo",
                        "kecamatan": "Dempo Tengah"}]}),
)}


def spec(kode: str) -> DocSpec:
    if kode not in DOCUMENTS:
        raise TemplateRefused(f"Dokumen “{kode}” tidak dikenal.")
    return DOCUMENTS[kode]


def shipped_path(kode: str) -> Path:
    return TEMPLATE_DIR / f"{spec(kode).kode}.docx"


def current(session: Session, kode: str) -> tuple[bytes, int]:
    """The template in use: the newest uploaded version (its number), or the shipped file (version 0)."""
    spec(kode)
    row = session.scalar(select(DocumentTemplate).where(DocumentTemplate.kode == kode)
                         .order_by(DocumentTemplate.versi.desc()).limit(1))
    if row is not None:
        return row.content, row.versi
    return shipped_path(kode).read_bytes(), 0


def _env() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


def _qr_png(url: str) -> bytes:
    uri = segno.make(url, error="m").png_data_uri(scale=6, border=2)
    return base64.b64decode(uri.split(",", 1)[1])


def _render(content: bytes, kode: str, context: dict) -> bytes:
    tpl = DocxTemplate(io.BytesIO(content))
    ctx = dict(context)
    for name in spec(kode).images:
        value = ctx.get(name)
        url = value if isinstance(value, str) and value else str(ctx.get("tautan_status") or "https://example")
        ctx[name] = InlineImage(tpl, io.BytesIO(_qr_png(url)), width=Mm(30))
    tpl.render(ctx, _env(), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)  # the one DOCX writer: every value went in XML-escaped (autoescape), no cell can be a formula
    return out.getvalue()


def render(session: Session, kode: str, context: dict) -> bytes:
    """The document ``kode`` filled with ``context``, as DOCX bytes (the template in use)."""
    content, _ = current(session, kode)
    missing = set(spec(kode).placeholders) - set(context)
    if missing:
        raise KeyError(f"context for {kode} lacks {sorted(missing)}")
    return _render(content, kode, context)


_UNDEFINED = re.compile(r"'([^']+)' is undefined|has no attribute '([^']+)'")


def check(kode: str, content: bytes, filename: str = "templat.docx") -> list[str]:
    """Refuse (:class:`TemplateRefused`) a template that is no DOCX, holds an unknown placeholder or does not
    render against the sample data; returns the placeholders it uses."""
    s = spec(kode)
    if len(content) > MAX_TEMPLATE_MB * 1024 * 1024:
        raise TemplateRefused(f"Berkas templat lebih dari {MAX_TEMPLATE_MB} MB.")
    archive.check(content, filename)
    try:
        zipfile.ZipFile(io.BytesIO(content)).getinfo("word/document.xml")
        used = DocxTemplate(io.BytesIO(content)).get_undeclared_template_variables(_env())
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise TemplateRefused("Berkas bukan dokumen Word (DOCX). Simpan templat di Word sebagai .docx.") from err
    except TemplateSyntaxError as err:
        raise TemplateRefused(f"Penulisan placeholder rusak: {err.message}. Periksa tanda {{{{ }}}} dan "
                              "{% %} di templat.") from err
    unknown = sorted(set(used) - set(s.placeholders))
    if unknown:
        raise TemplateRefused(f"Placeholder tidak dikenal pada templat {s.judul}: "
                              + ", ".join(f"{{{{ {u} }}}}" for u in unknown)
                              + ". Lihat daftar placeholder yang tersedia.")
    try:
        _render(content, kode, s.sample)
    except (UndefinedError, SecurityError) as err:
        match = _UNDEFINED.search(str(err))
        name = (match.group(1) or match.group(2)) if match else str(err)
        raise TemplateRefused(f"Placeholder “{name}” tidak dikenal pada templat {s.judul}.") from err
    except TemplateError as err:
        raise TemplateRefused(f"Templat tidak dapat diisi: {err}.") from err
    return sorted(used)


def replace(session: Session, actor: Actor, kode: str, filename: str, content: bytes) -> int:
    """Store ``content`` as the new version of the template of ``kode`` after :func:`check`; audited."""
    require(actor, "manage_settings")
    check(kode, content, filename)
    versi = (session.scalar(select(func.max(DocumentTemplate.versi)).where(DocumentTemplate.kode == kode)) or 0) + 1
    digest = hashlib.sha256(content).hexdigest()
    session.add(DocumentTemplate(kode=kode, versi=versi, filename=(filename or "templat.docx")[:200], sha256=digest,
                                 content=content, uploaded_by=actor.user_id, uploaded_at=utcnow()))
    session.flush()
    audit.record(session, actor, "ganti_templat", "templat", kode,
                 f"{spec(kode).judul}: versi {versi} dari “{filename}” (sha256 {digest[:12]})")
    return versi


@dataclass(frozen=True)
class Version:
    versi: int
    filename: str
    uploaded_by: str
    uploaded_at: dt.datetime | None


def versions(session: Session, actor: Actor, kode: str) -> list[Version]:
    """Every uploaded version of a template, newest first, then the shipped one (version 0)."""
    require(actor, "manage_settings")
    rows = session.execute(select(DocumentTemplate.versi, DocumentTemplate.filename, User.name,
                                  DocumentTemplate.uploaded_at)
                           .join(User, User.id == DocumentTemplate.uploaded_by, isouter=True)
                           .where(DocumentTemplate.kode == kode).order_by(DocumentTemplate.versi.desc())).all()
    return [Version(v, f, n or "—", at) for v, f, n, at in rows] + [Version(0, shipped_path(kode).name, "bawaan",
                                                                           None)]


def version_content(session: Session, actor: Actor, kode: str, versi: int) -> bytes:
    """One version's DOCX (0: the shipped file), for the admin to download and edit."""
    require(actor, "manage_settings")
    if versi == 0:
        return shipped_path(kode).read_bytes()
    row = session.scalar(select(DocumentTemplate).where(DocumentTemplate.kode == kode,
                                                        DocumentTemplate.versi == versi))
    if row is None:
        raise TemplateRefused(f"Versi {versi} templat ini tidak ada.")
    return row.content
