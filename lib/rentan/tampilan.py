"""What the Pekerja rentan page shows, as plain values: each desa's next step in a sentence, the rows of its
tables (candidates, the letters tracker, participants, replacements, BPJS answers, the budget), its figures,
captions and messages, what the reader may do, and the summaries of an import. No Streamlit here:
``views/kohort_rentan.py`` only draws them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lib.base import fmt
from lib.base.db import Kohort
from lib.base.permissions import Actor, has_permission
from lib.casework import nik
from lib.rentan import desa as rentan
from lib.rentan.anggaran import Budget, Iuran
from lib.rentan.bpjs import BPJS_STATUS, BpjsResult
from lib.rentan.desa import ReferenceImport
from lib.rentan.kohort import BIDANG_SCOPE, DesaStatus, months

#: The page's four tabs, in the order of the pipeline.
TABS = ("1. Data dan daftar calon", "2. Surat ke desa", "3. Peserta dan cek BPJS", "4. SK dan anggaran")
#: The background of a row of the letters tracker, by its stage (Tahap).
TAHAP_WARNA = {"Terlambat menjawab": "background-color: #fde2e1", "Sudah menjawab": "background-color: #e3f4e1"}


# --- the page, whoever reads it ------------------------------------------------------------------------
@dataclass(frozen=True)
class Reader:
    """What the reader may do on the page: ``staff`` keeps the lists (manage_candidates), ``kabid`` verifies
    them (verify_candidates), ``export`` downloads lists with full NIK (export_personal_data)."""
    staff: bool
    kabid: bool
    export: bool


def reader(actor: Actor) -> Reader:
    return Reader(staff=has_permission(actor, "manage_candidates", BIDANG_SCOPE),
                  kabid=has_permission(actor, "verify_candidates", BIDANG_SCOPE),
                  export=has_permission(actor, "export_personal_data", BIDANG_SCOPE))


def may_download_template(actor: Actor, d: DesaStatus) -> bool:
    """The desa's list as a validation template: once it has candidates, for whoever may upload its answer."""
    return bool(d.calon) and has_permission(actor, "upload_validation", rentan.scope_of(d.kode))


def page_caption(steps: str) -> str:
    """The line under the page title (``steps``: the SOP steps of the pipeline, :func:`lib.rentan.tahap.label`)."""
    return ("Bantuan iuran JKK+JKM BPJS Ketenagakerjaan bagi pekerja rentan" + (f" (SOP {steps})" if steps else "")
            + ": data DTKS/P3KE/DTSEN, daftar calon per desa, surat konfirmasi, cek BPJS, SK dan anggaran.")


def cohort_caption(k: Kohort) -> str:
    """The cohort's period, its source of funds and its SK, in one line."""
    sk = f" · SK {k.nomor_sk} tanggal {fmt.tanggal(k.tanggal_sk)}" if k.nomor_sk else " · SK belum ditetapkan"
    return (f"Kepesertaan {fmt.bulan_tahun(k.mulai)} – {fmt.bulan_tahun(k.selesai)} ({months(k.mulai, k.selesai)} "
            f"bulan) · sumber dana {k.sumber_dana}{sk}")


def desa_label(d: DesaStatus) -> str:
    return f"{d.nama} (Kec. {d.kecamatan})"


def _date(d: dt.date | None) -> str:
    return f"{d:%d/%m/%Y}" if d else "—"


def next_step(d: DesaStatus, staff: bool, kabid: bool) -> str:
    """What happens next for the desa, in a sentence (``staff``/``kabid``: what the reader may do)."""
    if d.jawaban:
        return answered_sentence(d, staff)
    if d.surat_tanggal:
        return (f"Surat {d.surat_nomor} tanggal {fmt.tanggal(d.surat_tanggal)}; batas jawaban "
                f"{fmt.tanggal(d.batas)}. Berkas validasi yang diterima di halaman Validasi desa tercatat sebagai "
                "jawaban.")
    if d.berubah:
        return (f"Daftar berubah sejak diverifikasi ({fmt.angka(d.jumlah_diverifikasi)} menjadi {fmt.angka(d.calon)} "
                "orang); Kepala Bidang perlu memverifikasinya lagi sebelum surat dikirim.")
    if d.diverifikasi:
        return "Surat konfirmasi ke desa dicatat di tab 2."
    if d.calon:
        return ("Tekan Verifikasi daftar bila daftar ini sudah benar." if kabid else
                "Kepala Bidang Jaminan Sosial memverifikasi daftar ini; setelah itu surat konfirmasi dicatat di tab 2.")
    if d.referensi:
        return (f"{fmt.angka(d.referensi)} orang di data DTKS/P3KE/DTSEN desa ini. "
                + ("Tekan Susun daftar calon untuk menyusun daftar sementara." if staff else ""))
    return "Belum ada data DTKS/P3KE/DTSEN untuk desa ini" + ("; impor ekstraknya di atas." if staff else ".")


def answered_sentence(d: DesaStatus, staff: bool) -> str:
    """An answered desa: its Valid candidates, and how many are participants, wait to be taken or are its
    reserve: the same figures as its row of :func:`desa_rows`."""
    quota = "semua calon Valid" if d.kuota is None else f"kuota {fmt.angka(d.kuota)}"
    text = (f"Dijawab {fmt.tanggal(d.jawaban)}: {fmt.angka(d.valid)} calon Valid, {fmt.angka(d.peserta)} sudah "
            f"menjadi peserta ({quota})")
    if d.cadangan:
        text += f", {fmt.angka(d.cadangan)} menjadi cadangan pengganti"
    if d.menunggu:
        return (text + f". Langkah berikutnya: {fmt.angka(d.menunggu)} calon Valid menunggu diambil menjadi peserta"
                + (" — tekan Ambil calon tervalidasi di tab 3." if staff else " oleh staf di tab 3."))
    if d.peserta:
        return text + ". Langkah berikutnya: cek BPJS Ketenagakerjaan di tab 3."
    return text + ". Tidak ada calon Valid yang dapat menjadi peserta dari desa ini."


def desa_rows(status: list[DesaStatus]) -> list[dict]:
    """Tab 1: every desa with its candidates, verification, stage, quota and people. Every Valid candidate is
    a participant, waits to be taken (Menunggu diambil) or, beyond the quota, is in reserve (Cadangan)."""
    return [{"Kecamatan": d.kecamatan, "Desa/Kelurahan": d.nama, "Data DTKS/P3KE/DTSEN": d.referensi, "Calon": d.calon,
             "Diverifikasi Kabid": fmt.waktu_pendek(d.diverifikasi) if d.diverifikasi else "—", "Tahap": d.tahap,
             "Kuota": "semua Valid" if d.kuota is None else d.kuota, "Valid": d.valid, "Peserta": d.peserta,
             "Menunggu diambil": d.menunggu, "Cadangan": d.cadangan}
            for d in status]


def _names(status: list[DesaStatus]) -> str:
    names = [d.nama for d in status]
    return ", ".join(names[:5]) + (f" dan {fmt.angka(len(names) - 5)} desa lain" if len(names) > 5 else "")


def lists_next(status: list[DesaStatus], staff: bool, kabid: bool) -> str:
    """Tab 1: what the cohort waits for on the candidate lists, and where it goes next."""
    unverified = [d for d in status if d.calon and not d.surat_tanggal and (not d.diverifikasi or d.berubah)]
    unbuilt = [d for d in status if d.referensi and not d.calon]
    ready = [d for d in status if d.diverifikasi and not d.surat_tanggal and not d.berubah]
    out = []
    if unverified:
        out.append(f"{'Verifikasi' if kabid else 'Kepala Bidang memverifikasi'} daftar calon "
                   f"{fmt.angka(len(unverified))} desa ({_names(unverified)}).")
    if unbuilt and staff:
        out.append(f"Susun daftar calon {fmt.angka(len(unbuilt))} desa yang sudah ada data DTKS/P3KE/DTSEN-nya.")
    if ready:
        out.append(f"Surat konfirmasi untuk {fmt.angka(len(ready))} desa yang daftarnya sudah diverifikasi dicatat "
                   "di tab 2.")
    if not out:
        out.append("Impor data DTKS/P3KE/DTSEN, lalu susun daftar calon per desa." if not any(d.calon for d in status)
                   else "Semua daftar calon sudah dikirimi surat; jawaban desa diikuti di tab 2.")
    return "Langkah berikutnya: " + " ".join(out)


def letters_next(status: list[DesaStatus]) -> str:
    """Tab 2: letters to send, answers awaited, and Valid candidates waiting in tab 3."""
    ready = [d for d in status if d.diverifikasi and not d.surat_tanggal and not d.berubah]
    waiting = [d for d in status if d.surat_tanggal and not d.jawaban]
    to_take = [d for d in status if d.menunggu]
    out = []
    if ready:
        out.append(f"Catat surat konfirmasi untuk {fmt.angka(len(ready))} desa ({_names(ready)}).")
    if waiting:
        out.append(f"Tunggu jawaban {fmt.angka(len(waiting))} desa ({_names(waiting)}).")
    if to_take:
        out.append(f"Calon Valid dari {fmt.angka(len(to_take))} desa yang sudah menjawab menunggu diambil menjadi "
                   "peserta di tab 3.")
    if not out:
        out.append("Verifikasi daftar calon di tab 1 dulu; surat dikirim setelahnya."
                   if not any(d.diverifikasi or d.surat_tanggal for d in status)
                   else "Semua desa sudah menjawab; peserta dan cek BPJS ada di tab 3.")
    return "Langkah berikutnya: " + " ".join(out)


def sk_next(peserta: int, belum_dicek: int, nomor_sk: str | None) -> str:
    """Tab 4: what stands between the cohort and its SK."""
    if nomor_sk:
        return f"SK {nomor_sk} sudah ditetapkan; tidak ada langkah lagi untuk kohort ini."
    if not peserta:
        return "Langkah berikutnya: susun peserta dari calon Valid di tab 3; anggaran dan SK menyusul."
    if belum_dicek:
        return (f"Langkah berikutnya: {fmt.angka(belum_dicek)} peserta belum dicek BPJS Ketenagakerjaan (tab 3); SK "
                "ditetapkan setelah semua dicek.")
    return ("Langkah berikutnya: unduh rancangan lampiran SK, mintakan tanda tangan Kepala Dinas, lalu catat nomor "
            "dan tanggal SK di bawah.")


def build_help(d: DesaStatus) -> str | None:
    """Why a desa's candidate list cannot be built yet (None: it can)."""
    return None if d.referensi else "Belum ada data referensi untuk desa ini."


def verify_locked(d: DesaStatus) -> tuple[bool, str | None]:
    """(disabled, why) of the Kabid's Verifikasi button: an empty list, or one verified and unchanged since."""
    done = bool(d.diverifikasi and not d.berubah)
    return not d.calon or done, "Daftar ini sudah diverifikasi." if done else None


def built_summary(n: int, nama: str) -> tuple[str, list]:
    """(message, no notes) after a desa's candidate list was built from the reference data."""
    return (f"{fmt.angka(n)} calon ditambahkan ke daftar {nama}." if n else
            f"Tidak ada calon baru: semua orang dalam data DTKS/P3KE/DTSEN {nama} sudah ada di daftar."), []


def quota_message(nama: str, n: int | None) -> str:
    """What a saved quota means (None: every Valid candidate joins)."""
    return f"Kuota {nama}: " + ("semua calon Valid." if n is None else f"{fmt.angka(n)} peserta; "
                                "calon Valid selebihnya menjadi cadangan pengganti.")


# --- tab 2: letters ------------------------------------------------------------------------------------
def late_warning(status: list[DesaStatus]) -> str | None:
    """The desa whose answer is overdue, with their deadlines; None when none is."""
    late = [d for d in status if d.terlambat]
    if not late:
        return None
    return f"{len(late)} desa terlambat menjawab surat konfirmasi: " + ", ".join(
        f"{d.nama} (batas {fmt.tanggal(d.batas)})" for d in late)


def letters_shown(status: list[DesaStatus]) -> list[DesaStatus]:
    """The desa of the letters tracker: their list was verified, or they were sent a letter."""
    return [d for d in status if d.diverifikasi or d.surat_tanggal]


@dataclass(frozen=True)
class LetterChoices:
    """The choices of tab 2's two forms: desa ``ready`` for a letter (kode → nama), the ``changed`` lists
    that must be verified again first, and the desa ``waiting`` for an answer (kode → nama)."""
    ready: dict[str, str]
    changed: list[str]
    waiting: dict[str, str]


def letter_choices(shown: list[DesaStatus]) -> LetterChoices:
    return LetterChoices(ready={d.kode: d.nama for d in shown if d.diverifikasi and not d.surat_tanggal
                                and not d.berubah},
                         changed=[d.nama for d in shown if d.berubah],
                         waiting={d.kode: d.nama for d in shown if d.surat_tanggal and not d.jawaban})


def changed_caption(changed: list[str]) -> str:
    return (f"Daftar {', '.join(changed)} berubah sejak diverifikasi; surat dikirim setelah Kepala Bidang "
            "memverifikasinya lagi (tab 1).")


def agenda_caption(ready: dict[str, str], given: dict[str, str]) -> str | None:
    """The letter numbers the outgoing-mail register already gave the desa ready for a letter; None when none."""
    if not given:
        return None
    return "Nomor dari agenda surat keluar: " + "; ".join(f"{ready[k]} {n}" for k, n in given.items())


# --- tab 3: participants and the BPJS check --------------------------------------------------------------
def unchecked(active) -> int:
    """Participants BPJS has not answered for yet."""
    return sum(p.bpjs_status == "belum_dicek" for p in active)


def participant_figures(active, replaced) -> list[tuple[str, str]]:
    """The figures over tab 3: active, unchecked, eligible and replaced participants."""
    return [("Peserta aktif", fmt.angka(len(active))), ("Belum dicek BPJS", fmt.angka(unchecked(active))),
            ("Layak (belum terdaftar)", fmt.angka(sum(p.bpjs_status == "belum_terdaftar" for p in active))),
            ("Diganti", fmt.angka(len(replaced)))]


def check_caption(n_unchecked: int, any_participant: bool) -> str:
    """Where participants come from while there is none (no participant and no BPJS answer yet), else what to
    do with the participants not yet checked, or that all were."""
    if not any_participant:
        return ("Belum ada peserta. Peserta diambil dari calon yang dinyatakan Valid oleh desa yang sudah menjawab "
                "surat konfirmasi (tab 2).")
    if n_unchecked:
        return (f"{fmt.angka(n_unchecked)} peserta belum dicek: unduh daftarnya, kirim ke BPJS Ketenagakerjaan, lalu "
                "impor jawabannya di bawah. SK ditetapkan setelah semua peserta dicek.")
    return "Semua peserta aktif sudah dicek BPJS Ketenagakerjaan. SK dan anggaran ada di tab 4."


def taken_summary(n: int) -> tuple[str, list]:
    """(message, no notes) after the validated candidates were taken as participants."""
    return f"{fmt.angka(n)} calon berstatus Valid masuk daftar peserta.", []


# --- tab 4: SK and budget --------------------------------------------------------------------------------
def budget_figures(b: Budget) -> list[tuple[str, str]]:
    return [("Peserta", fmt.angka(b.peserta)), ("Iuran per bulan", fmt.rupiah(b.peserta * b.iuran.per_bulan)),
            (f"Jumlah {b.bulan} bulan", fmt.rupiah(b.total))]


def estimate_warning(b: Budget) -> str | None:
    """The budget is an estimate while participants wait for BPJS's answer; None when none waits."""
    if not b.belum_dicek:
        return None
    return (f"Perkiraan: {fmt.angka(b.belum_dicek)} peserta belum dicek BPJS Ketenagakerjaan, jadi jumlah ini "
            "masih bisa berubah.")


def participant_desa(people, wil: dict[str, tuple[str, str]]) -> list[str]:
    """The names of the desa with participants, in alphabetical order (to trace a budget row to its people)."""
    return sorted({wil[p.desa_kode][0] for p in people})


def people_of_desa(people, wil: dict[str, tuple[str, str]], desa: str) -> list[dict]:
    """:func:`people_rows` of the participants of the desa named ``desa``."""
    return people_rows([p for p in people if wil[p.desa_kode][0] == desa], wil)


def sk_attachment_label(k: Kohort) -> str:
    return "Unduh lampiran SK (XLSX, NIK lengkap)" if k.nomor_sk else "Unduh rancangan lampiran SK (XLSX)"


def sk_fixed(k: Kohort) -> str:
    return (f"SK {k.nomor_sk} tanggal {fmt.tanggal(k.tanggal_sk)} ditetapkan; daftar peserta tidak dapat "
            "diubah lagi.")


def sk_message(nomor: str, peserta: int) -> str:
    return f"SK {nomor} ditetapkan untuk {fmt.angka(peserta)} peserta."


def candidate_rows(people) -> list[dict]:
    """A desa's candidates, NIK masked, with the village's answer."""
    return [{"NIK": nik.mask(c.nik), "Nama": c.nama, "Tanggal lahir": _date(c.tanggal_lahir),
             "JK": c.jenis_kelamin, "Alamat": c.alamat,
             "Jawaban desa": (c.status_validasi or "—").replace("_", " ").capitalize()} for c in people]


def letter_rows(status: list[DesaStatus]) -> list[dict]:
    """Tab 2: the letters tracker, for the desa whose list was verified or that were sent a letter."""
    return [{"Desa/Kelurahan": d.nama, "Kecamatan": d.kecamatan, "Calon": d.calon, "Tahap": d.tahap,
             "Nomor surat": d.surat_nomor or "—", "Tanggal surat": fmt.tanggal(d.surat_tanggal),
             "Batas jawaban": fmt.tanggal(d.batas), "Dijawab": fmt.tanggal(d.jawaban)}
            for d in status if d.diverifikasi or d.surat_tanggal]


def people_rows(people, wil: dict[str, tuple[str, str]]) -> list[dict]:
    """Participants, NIK masked, with their desa and BPJS check."""
    return [{"Kecamatan": wil[p.desa_kode][1], "Desa": wil[p.desa_kode][0], "NIK": nik.mask(p.nik), "Nama": p.nama,
             "Cek BPJS": BPJS_STATUS[p.bpjs_status], "Pengganti": "Ya" if p.pengganti_untuk else ""} for p in people]


def replacement_rows(replaced, wil: dict[str, tuple[str, str]]) -> list[dict]:
    """Every replaced participant beside their replacement."""
    return [{"Desa": wil[old.desa_kode][0], "Diganti": old.nama, "NIK": nik.mask(old.nik),
             "Program lain": old.bpjs_keterangan or "—",
             "Pengganti": new.nama if new else "— (tidak ada calon tersisa)",
             "NIK pengganti": nik.mask(new.nik) if new else "—"} for old, new in replaced]


def check_rows(history) -> list[dict]:
    """The BPJS answers imported so far."""
    return [{"Diimpor": fmt.waktu_pendek(h.imported_at), "Berkas": h.filename, "Baris": h.rows_total,
             "Cocok": h.cocok, "Sudah terdaftar": h.terdaftar_lain, "Diganti": h.diganti} for h in history]


def waiting_sentence(waiting, wil: dict[str, tuple[str, str]]) -> str:
    """The Valid candidates not yet on the list, counted per desa in the order they come."""
    per_desa: dict[str, int] = {}
    for c in waiting:
        per_desa[wil[c.desa_kode][0]] = per_desa.get(wil[c.desa_kode][0], 0) + 1
    return (f"**{fmt.angka(len(waiting))} calon berstatus Valid** dari desa yang sudah menjawab belum masuk daftar "
            "peserta: " + ", ".join(f"{d} {fmt.angka(n)}" for d, n in per_desa.items()) + ".")


def iuran_sentence(r: Iuran, bulan: int, signed: bool) -> str:
    """The contribution per person per month and for how long (``signed``: fixed by the SK)."""
    return (f"Iuran per orang per bulan: JKK {fmt.angka(r.jkk_persen, 2 if r.jkk_persen % 1 else 0)}% × "
            f"{fmt.rupiah(r.penghasilan)} = **{fmt.rupiah(r.jkk)}** + JKM **{fmt.rupiah(r.jkm)}** = "
            f"**{fmt.rupiah(r.per_bulan)}**, selama **{bulan} bulan**."
            + (" Besaran ini ditetapkan bersama SK." if signed else ""))


def budget_rows(b: Budget) -> tuple[list[dict], list[dict]]:
    """(per kecamatan, per desa) rows of the budget."""
    kecamatan = [{"Kecamatan": x.kecamatan, "Peserta": x.peserta, "Iuran per bulan": x.per_bulan, "Jumlah": x.total}
                 for x in b.kecamatan]
    desa = [{"Kecamatan": x.kecamatan, "Desa/Kelurahan": x.desa, "Peserta": x.peserta,
             "Iuran per bulan": x.per_bulan, "Jumlah": x.total} for x in b.desa]
    return kecamatan, desa


def reference_summary(r: ReferenceImport, filename: str) -> tuple[str, list[tuple[str, list[str]]]]:
    """(message, [(title, lines)]) after a DTKS/P3KE/DTSEN extract was imported."""
    message = (f"{filename}: {fmt.angka(r.added)} baris baru, {fmt.angka(r.already)} sudah ada, "
               f"{fmt.angka(len(r.skipped))} dilewati"
               + (f", {fmt.angka(r.unknown_desa)} dengan desa yang tidak dikenal" if r.unknown_desa else "") + ".")
    return message, [(f"{fmt.angka(len(r.skipped))} baris dilewati", r.skipped)]


def bpjs_summary(r: BpjsResult, filename: str) -> tuple[str, list[tuple[str, list[str]]]]:
    """(message, [(title, lines)]) after BPJS's answer was imported."""
    if r.already:
        return f"Berkas {filename} sudah pernah diimpor; tidak ada yang berubah.", []
    swaps = [f"{old} diganti {new}" if new else f"{old}: tidak ada calon pengganti di desanya"
             for old, new in r.diganti]
    message = (f"{filename}: {fmt.angka(r.cocok)} peserta dicek, {fmt.angka(r.belum_terdaftar)} layak, "
               f"{fmt.angka(r.terdaftar_lain)} sudah terdaftar di program lain.")
    return message, [(f"Penggantian peserta ({fmt.angka(len(swaps))})", swaps),
                     (f"{fmt.angka(len(r.tidak_dikenal))} baris tidak dipakai", r.tidak_dikenal)]


# --- Validasi desa: the checked file's preview ------------------------------------------------------------
def row_reasons(problems) -> tuple[str, str]:
    """(every reason a row is invalid, every note on it), each reason a sentence of its own: a row's
    problems come in column order, so an invalid row's status error must not hide behind its NIK note."""
    errors = [p.reason for p in problems if p.level == "error"]
    notes = [p.reason for p in problems if p.level != "error"]
    return " · ".join(errors), " · ".join(notes)


def notes_heading(validation) -> str:
    """The title over the notes (warnings) of a checked file, in the words of the summary above it: the
    metric "Sah, dengan catatan" counts valid rows, while notes also sit on rows that are invalid anyway."""
    rows = [r for r in validation.rows if any(p.level == "warning" for p in r.problems)]
    n = sum(1 for r in rows for p in r.problems if p.level == "warning")
    invalid = sum(1 for r in rows if r.state == "invalid")
    where = f"{fmt.angka(len(rows) - invalid)} baris sah dengan catatan"
    if invalid:
        where += f" dan {fmt.angka(invalid)} baris yang juga tidak sah"
    return f"{fmt.angka(n)} catatan pada {where} (catatan tidak menghalangi penerimaan baris)"

