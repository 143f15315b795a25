"""The SOP catalogue: typed models of an SOP and of a Standar Pelayanan, and their loader.

One YAML file per document lives in ``data/sop/``. Two content types exist:

* ``jenis: sop`` — an SOP in the PermenPAN-RB 35/2012 form (identity block, actor columns, steps with
  Mutu Baku, decision branches);
* ``jenis: standar_pelayanan`` — a service standard in the PermenPAN-RB 15/2014 form (products,
  persyaratan per product, procedures per channel, jangka waktu, biaya, pengaduan, management
  components).

A file that does not fit the model raises :class:`CatalogError` with one message naming the file,
the step and the field.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lib.base import mutu_baku
from lib.base.errors import UserError
from lib.base.roles import ROLE_CODES

CATALOG_DIR = Path(__file__).resolve().parents[2] / "data" / "sop"

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
#: Where a decision branch may lead besides another step.
END = "selesai"


class YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader with YAML 1.2 booleans: only true/false. In YAML 1.1 ``no`` is False, which would
    turn every step's ``no:`` key into a boolean. The parser is libyaml's when PyYAML has it (ten times faster than
    the pure-Python one; the same documents, and the same tags through the resolvers below)."""


YamlLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def read_yaml(text: str) -> object:
    return yaml.load(text, Loader=YamlLoader)  # noqa: S506 - YamlLoader is a SafeLoader


class CatalogError(UserError):
    """A catalogue file is not a valid SOP or Standar Pelayanan."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pengesah(_Model):
    """Who signed the document into force (Disahkan oleh)."""
    jabatan: str
    nama: str | None = None
    pangkat: str | None = None
    nip: str | None = None


class Pelaksana(_Model):
    """One actor column of the procedure table."""
    kode: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    #: Portal roles that carry out (or, for an outside actor, record) this column's steps.
    peran: list[str] = Field(min_length=1)
    #: True for actors outside the agency (the applicant, BPJS, a village): staff record their steps.
    eksternal: bool = False

    @field_validator("peran")
    @classmethod
    def _known_roles(cls, v: list[str]) -> list[str]:
        unknown = [r for r in v if r not in ROLE_CODES]
        if unknown:
            raise ValueError(f"peran tidak dikenal: {', '.join(unknown)} (pilihan: {', '.join(ROLE_CODES)})")
        return v


class Cabang(_Model):
    """One branch of a decision: its label and where it leads (a step number or ``selesai``)."""
    label: str
    ke: int | Literal["selesai"]


class Keputusan(_Model):
    """A decision symbol: a yes/no question with two branches."""
    pertanyaan: str
    ya: Cabang
    tidak: Cabang


FIELD_TYPES = ("text", "nik", "date", "number", "money", "select", "checkbox", "file")


class Aturan(_Model):
    """Extra rules of an intake field."""
    min: float | None = None
    max: float | None = None
    #: A regular expression the whole text must match (``text`` fields).
    pola: str | None = None
    #: What to tell the user when ``pola`` does not match.
    pesan: str | None = None
    #: Accepted file endings for ``file`` fields, e.g. [pdf, jpg].
    berkas: list[str] = Field(default_factory=list)
    #: A ``money`` field that is a BPU participant's declared income: checked and turned into the monthly
    #: contribution by :func:`lib.base.iuran.hitung_bpu`; the value names the checkbox that chooses JHT.
    iuran_bpu: str | None = None


class Isian(_Model):
    """One field of the intake form (formulir)."""
    nama: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    jenis: Literal["text", "nik", "date", "number", "money", "select", "checkbox", "file"]
    wajib: bool = False
    pilihan: list[str] = Field(default_factory=list)
    bantuan: str | None = None
    aturan: Aturan | None = None

    @model_validator(mode="after")
    def _pilihan_for_select(self) -> "Isian":
        if self.jenis == "select" and not self.pilihan:
            raise ValueError(f"isian {self.nama}: jenis select harus punya pilihan")
        return self


_DIGANTI = re.compile(r"^(?P<teks>.*?)\s*\[diganti:\s*(?P<pengganti>[^\]]+)\]\s*$")


def dasar_hukum_entry(text: str) -> tuple[str, str | None]:
    """(the regulation as written, what replaced it or None): an entry of ``dasar_hukum`` may end in
    ``[diganti: <the regulation in force>]`` when the source cites a regulation that has since been revoked."""
    m = _DIGANTI.match(text)
    return (m["teks"], m["pengganti"].strip()) if m else (text, None)


def dasar_hukum_text(text: str) -> str:
    """An entry of ``dasar_hukum`` as a sentence: "… (dicabut; diganti dengan …)" for a replaced one."""
    teks, pengganti = dasar_hukum_entry(text)
    return teks if pengganti is None else f"{teks} (dicabut; diganti dengan {pengganti})"


class WajibJika(_Model):
    """A document required only when a form field is above a threshold (e.g. NPWP above Rp50 juta), or (with
    ``atau_isian``) also when that checkbox field is ticked (e.g. NPWP after a partial JHT claim)."""
    isian: str
    lebih_dari: float
    atau_isian: str | None = None


class Dokumen(_Model):
    """One document of the kelengkapan checklist. ``syarat`` explains when it is needed; ``wajib_jika``
    makes that rule checkable; ``opsional`` documents are never missing."""
    kode: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    syarat: str | None = None
    wajib_jika: WajibJika | None = None
    opsional: bool = False


#: Named stages a step can carry (``tahap``), so that code finds a step by what it does, not by its number,
#: which the editor may change. The pekerja rentan pipeline (lib/rentan) looks its steps up by these codes.
TAHAP = {
    "verifikasi_calon": "Kepala Bidang memverifikasi daftar calon penerima",
    "daftar_sementara": "Daftar sementara calon penerima per desa disusun",
    "surat_konfirmasi": "Surat konfirmasi kevalidan data dikirim ke desa/kelurahan",
    "jawaban_desa": "Jawaban konfirmasi desa/kelurahan diterima",
    "pemutakhiran_calon": "Calon peserta dimutakhirkan dari hasil validasi desa",
    "cek_bpjs": "Daftar calon dikirim ke BPJS Ketenagakerjaan untuk verifikasi",
    "hasil_bpjs": "Hasil verifikasi BPJS Ketenagakerjaan diterima",
    "penggantian": "Calon yang sudah terdaftar di program lain diganti",
    "sk": "SK pembayaran iuran ditetapkan",
    "pembayaran": "Iuran kepesertaan dibayar (anggaran)",
}


class Langkah(_Model):
    """One step of the procedure."""
    no: int = Field(ge=1)
    #: The number printed in the source document, where it differs from ``no``.
    no_asli: int | None = None
    kegiatan: str
    #: The named stage this step is (one of :data:`TAHAP`), for code that must find it whatever its number.
    #: Left out of the stored content when unset, so documents without stages keep their content hash.
    tahap: str | None = Field(default=None, exclude_if=lambda v: v is None)
    pelaksana: str
    #: True where the source lost the mark showing the actor column and the actor was inferred.
    pelaksana_inferred: bool = False
    kelengkapan: str = ""
    waktu: str = ""
    output: str = ""
    keterangan: str = ""
    keputusan: Keputusan | None = None

    @field_validator("tahap")
    @classmethod
    def _tahap_known(cls, v: str | None) -> str | None:
        if v is not None and v not in TAHAP:
            raise ValueError(f"tahap “{v}” tidak dikenal (pilihan: {', '.join(TAHAP)})")
        return v

    @field_validator("waktu")
    @classmethod
    def _waktu_parses(cls, v: str) -> str:
        mutu_baku.parse(v)  # raises MutuBakuError (a ValueError) with an Indonesian message
        return v

    @property
    def target(self) -> mutu_baku.MutuBaku | None:
        return mutu_baku.parse(self.waktu)


class Identitas(_Model):
    """Fields shared by both content types."""
    id: str = Field(pattern=ID_PATTERN)
    nama: str
    #: A short title for menus; the full ``nama`` is used where there is room.
    nama_singkat: str | None = Field(default=None, max_length=40)
    pemerintah: str | None = None
    #: The agency; ``None`` where the source document does not name it.
    instansi: str | None = None
    unit: str | None = None
    #: The social-security programme the service belongs to ("BPJS Ketenagakerjaan", "JKN (BPJS Kesehatan)");
    #: ``None`` for a service of the Dinas itself (a job seeker's card, training, an industrial dispute).
    program: str | None = None
    sumber: list[str] = Field(default_factory=list)
    #: Obvious typos fixed during transcription, with the original wording.
    catatan_transkripsi: list[str] = Field(default_factory=list)


    @property
    def label(self) -> str:
        return self.nama_singkat or self.nama


class SOP(Identitas):
    jenis: Literal["sop"]
    nomor: str | None = None
    #: Prefix of the case register numbers (``AK1`` → ``AK1/2026/00042``); default: the id in capitals.
    kode_register: str | None = Field(default=None, pattern=r"^[A-Z0-9-]{2,12}$")
    #: The bidang that runs this SOP: a Kepala Bidang's local role (``bidang:<kode>``) applies to it.
    bidang: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,60}$")

    #: The service this SOP is one channel of (e.g. "Pendaftaran Kepesertaan BPU"): every channel's SOP names the
    #: same service, so that the KPI can compare the channels. Left out of the stored content when unset.
    layanan: str | None = Field(default=None, min_length=1, exclude_if=lambda v: v is None)
    #: The channel (kanal) of ``layanan`` this SOP carries out (e.g. "Loket", "Bank (Service Point Office)").
    kanal: str | None = Field(default=None, min_length=1, exclude_if=lambda v: v is None)

    @property
    def scope(self) -> str | None:
        """The scope a local role must hold to work on this SOP's cases."""
        return f"bidang:{self.bidang}" if self.bidang else None
    tanggal_pembuatan: dt.date | None = None
    tanggal_revisi: dt.date | None = None
    tanggal_efektif: dt.date | None = None
    disahkan_oleh: Pengesah | None = None
    dasar_hukum: list[str] = Field(default_factory=list)
    kualifikasi_pelaksana: list[str] = Field(default_factory=list)
    keterkaitan: list[str] = Field(default_factory=list)
    peralatan: list[str] = Field(default_factory=list)
    peringatan: list[str] = Field(default_factory=list)
    pencatatan: list[str] = Field(default_factory=list)
    pelaksana: list[Pelaksana] = Field(min_length=1)
    langkah: list[Langkah] = Field(min_length=1)
    #: The intake form ("Permohonan baru") and the documents the applicant brings.
    formulir: list[Isian] = Field(default_factory=list)
    kelengkapan: list[Dokumen] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> "SOP":
        if (self.layanan is None) != (self.kanal is None):
            raise ValueError("layanan dan kanal diisi bersama (kanal adalah salah satu jalur layanan itu)")
        for name, items in (("formulir", [f.nama for f in self.formulir]),
                            ("kelengkapan", [d.kode for d in self.kelengkapan])):
            dup = sorted({x for x in items if items.count(x) > 1})
            if dup:
                raise ValueError(f"{name}: nama ganda {', '.join(dup)}")
        fields = {f.nama for f in self.formulir}
        for d in self.kelengkapan:
            for name in (d.wajib_jika.isian, d.wajib_jika.atau_isian) if d.wajib_jika else ():
                if name is not None and name not in fields:
                    raise ValueError(f"kelengkapan {d.kode}: wajib_jika menunjuk isian “{name}” yang tidak ada")
        codes = [p.kode for p in self.pelaksana]
        dup = {c for c in codes if codes.count(c) > 1}
        if dup:
            raise ValueError(f"pelaksana: kode ganda {', '.join(sorted(dup))}")
        stages = [s.tahap for s in self.langkah if s.tahap]
        dup = {t for t in stages if stages.count(t) > 1}
        if dup:
            raise ValueError(f"langkah: tahap ganda {', '.join(sorted(dup))} (satu tahap hanya pada satu langkah)")
        for i, step in enumerate(self.langkah, start=1):
            where = f"langkah {i}"
            if step.no != i:
                raise ValueError(f"{where}: no harus {i} (langkah bernomor urut 1, 2, 3, ...), tertulis {step.no}")
            if step.pelaksana not in codes:
                raise ValueError(f"{where}, pelaksana: “{step.pelaksana}” bukan kolom pelaksana "
                                 f"(pilihan: {', '.join(codes)})")
            if step.keputusan:
                for name in ("ya", "tidak"):
                    ke = getattr(step.keputusan, name).ke
                    if ke != END and not (1 <= ke <= len(self.langkah)):
                        raise ValueError(f"{where}, keputusan.{name}.ke: langkah {ke} tidak ada")
                    if ke == i:
                        raise ValueError(f"{where}, keputusan.{name}.ke: tidak boleh menunjuk langkah itu sendiri")
        return self

    @cached_property
    def actors(self) -> dict[str, Pelaksana]:
        return {p.kode: p for p in self.pelaksana}

    def stage_steps(self) -> dict[str, int]:
        """The step number of every named stage (``tahap``) of this SOP."""
        return {s.tahap: s.no for s in self.langkah if s.tahap}

    def target_working_minutes(self) -> float:
        """Sum of the working-minute targets (upper ends) of all steps."""
        return sum(s.target.working_minutes for s in self.langkah
                   if s.target is not None and s.target.working_minutes is not None)

    def calendar_targets(self) -> list[mutu_baku.MutuBaku]:
        """Targets judged on the calendar (``bulan``, ``tanggal``), which have no working minutes."""
        return [s.target for s in self.langkah if s.target is not None and s.target.is_calendar]


class Prosedur(_Model):
    """The procedure of one channel (kanal) of a service standard."""
    kanal: str
    langkah: list[str] = Field(min_length=1)


class StandarPelayanan(Identitas):
    """A service standard (PermenPAN-RB 15/2014): 6 delivery and 8 management components."""
    jenis: Literal["standar_pelayanan"]
    ringkasan: str | None = None
    produk: list[str] = Field(min_length=1)
    #: Persyaratan per product, keyed by the product's name as listed in ``produk``.
    persyaratan: dict[str, list[str]]
    prosedur: list[Prosedur] = Field(min_length=1)
    jangka_waktu: str
    biaya: str
    penanganan_pengaduan: list[str] = Field(default_factory=list)
    dasar_hukum: list[str] = Field(default_factory=list)
    sarana_prasarana: list[str] = Field(default_factory=list)
    kompetensi_pelaksana: list[str] = Field(default_factory=list)
    pengawasan_internal: str | None = None
    jumlah_pelaksana: str | None = None
    jaminan_pelayanan: list[str] = Field(default_factory=list)
    jaminan_keamanan: list[str] = Field(default_factory=list)
    evaluasi_kinerja: list[str] = Field(default_factory=list)
    #: Catalogue ids of the SOPs that carry out this standard.
    sop_terkait: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _persyaratan_per_produk(self) -> "StandarPelayanan":
        extra = [k for k in self.persyaratan if k not in self.produk]
        if extra:
            raise ValueError(f"persyaratan: produk “{extra[0]}” tidak ada di daftar produk")
        missing = [label for name, label in KOMPONEN_PENGELOLAAN if not getattr(self, name)]
        if missing:
            raise ValueError(f"komponen standar pelayanan (PermenPAN-RB 15/2014) belum diisi: {', '.join(missing)}")
        return self


#: The components of a service standard (PermenPAN-RB 15/2014) that the model cannot require by type alone: the
#: complaint channel and the 8 management components. (Produk, persyaratan, prosedur, jangka waktu and biaya are
#: required fields.)
KOMPONEN_PENGELOLAAN = (
    ("penanganan_pengaduan", "penanganan pengaduan, saran dan masukan"), ("dasar_hukum", "dasar hukum"),
    ("sarana_prasarana", "sarana dan prasarana"), ("kompetensi_pelaksana", "kompetensi pelaksana"),
    ("pengawasan_internal", "pengawasan internal"), ("jumlah_pelaksana", "jumlah pelaksana"),
    ("jaminan_pelayanan", "jaminan pelayanan"), ("jaminan_keamanan", "jaminan keamanan dan keselamatan pelayanan"),
    ("evaluasi_kinerja", "evaluasi kinerja pelaksana"))


Document = Annotated[Union[SOP, StandarPelayanan], Field(discriminator="jenis")]


class _Doc(BaseModel):
    doc: Document


def _describe(err: ValidationError) -> str:
    """One Indonesian sentence for the first problem, naming the step and field."""
    e = err.errors()[0]
    loc = [p for p in e["loc"] if p not in ("doc", "sop", "standar_pelayanan", "function-after[_consistent(), SOP]")]
    inner = ("int", "literal['selesai']")
    loc = [p for p in loc if not (isinstance(p, str) and (p.startswith("function-") or p in inner))]
    parts, i = [], 0
    while i < len(loc):
        p = loc[i]
        if isinstance(p, str) and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            parts.append(f"{p} {loc[i + 1] + 1}")
            i += 2
            continue
        parts.append(str(p) if not isinstance(p, int) else f"[{p + 1}]")
        i += 1
    msg = e["msg"].removeprefix("Value error, ")
    kinds = {"missing": "wajib diisi", "extra_forbidden": "field tidak dikenal",
             "string_type": "harus berupa teks", "int_type": "harus berupa bilangan bulat",
             "date_from_datetime_parsing": "harus tanggal (YYYY-MM-DD)", "date_parsing": "harus tanggal (YYYY-MM-DD)",
             "too_short": "tidak boleh kosong", "list_type": "harus berupa daftar",
             "string_pattern_mismatch": "formatnya salah (huruf kecil, angka dan tanda hubung)",
             "union_tag_invalid": "jenis harus “sop” atau “standar_pelayanan”",
             "union_tag_not_found": "jenis wajib diisi (“sop” atau “standar_pelayanan”)"}
    text = kinds.get(e["type"], msg)
    where = ", ".join(parts)
    return f"{where}: {text}" if where else text


def parse_document(data: object, source: str = "<data>") -> SOP | StandarPelayanan:
    """Validate a mapping (from YAML or from the database) into a catalogue document."""
    if not isinstance(data, dict):
        raise CatalogError(f"{source}: isi berkas harus berupa pemetaan YAML (kunci: nilai)")
    try:
        return _Doc(doc=data).doc
    except ValidationError as err:
        raise CatalogError(f"{source}: {_describe(err)}") from None


def load_file(path: Path | str) -> SOP | StandarPelayanan:
    path = Path(path)
    try:
        data = read_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" baris {mark.line + 1}" if mark else ""
        raise CatalogError(f"{path.name}{line}: YAML tidak dapat dibaca ({getattr(err, 'problem', err)})") from None
    doc = parse_document(data, path.name)
    if doc.id != path.stem:
        raise CatalogError(f"{path.name}: id “{doc.id}” harus sama dengan nama berkas “{path.stem}”")
    return doc


def load_catalog(directory: Path | str = CATALOG_DIR) -> dict[str, SOP | StandarPelayanan]:
    """Every document in the catalogue folder, by id, in file-name order."""
    docs = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        doc = load_file(path)
        docs[doc.id] = doc
    return docs


def to_data(doc: SOP | StandarPelayanan) -> dict:
    """The document as plain JSON-able data (what the database stores for a revision)."""
    return doc.model_dump(mode="json", exclude_defaults=False)


def _norm(text: str | None) -> str:
    return " ".join((text or "").lower().replace("/", " / ").split())


def matches(doc: SOP | StandarPelayanan, query: str) -> bool:
    """Whether a document matches a search by name or nomor (all words, any order, any case)."""
    words = _norm(query).split()
    if not words:
        return True
    hay = " ".join(_norm(x) for x in (doc.nama, getattr(doc, "nomor", None), doc.id, doc.instansi, doc.unit))
    return all(w in hay for w in words)


NO_INSTANSI = "Instansi tidak tercantum pada dokumen"


def grouped(docs: list[SOP | StandarPelayanan]) -> list[tuple[str, list[tuple[str, list]]]]:
    """Documents grouped by instansi, then unit, both in alphabetical order."""
    groups: dict[str, dict[str, list]] = {}
    for d in docs:
        groups.setdefault(d.instansi or NO_INSTANSI, {}).setdefault(d.unit or "", []).append(d)
    return [(inst, [(unit, sorted(items, key=lambda x: x.nama)) for unit, items in sorted(units.items())])
            for inst, units in sorted(groups.items(), key=lambda kv: (kv[0] == NO_INSTANSI, kv[0]))]


def content_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
