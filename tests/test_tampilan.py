"""What the Pekerja rentan page says, built in lib (lib/rentan/tampilan.py): the next step of a desa for who
is reading, the summaries of an import, and tables that never show a full NIK."""
import datetime as dt

from lib.rentan import tampilan
from lib.rentan.bpjs import BpjsResult
from lib.rentan.desa import ReferenceImport
from lib.rentan.kohort import DesaStatus


def _desa(**over) -> DesaStatus:
    base = dict(kode="kaling", nama="Kaling", kecamatan="Tasikmadu", referensi=12, calon=0, valid=0,
                diverifikasi=None, jumlah_diverifikasi=None, surat_nomor=None, surat_tanggal=None, batas=None,
                jawaban=None, peserta=0, terlambat=False)
    return DesaStatus(**{**base, **over})


def test_the_next_step_names_who_acts_for_the_reader():
    listed = _desa(calon=4)
    assert tampilan.next_step(listed, staff=False, kabid=True) == "Tekan Verifikasi daftar bila daftar ini sudah benar."
    assert "Kepala Bidang Jaminan Sosial memverifikasi" in tampilan.next_step(listed, staff=True, kabid=False)
    changed = _desa(calon=5, diverifikasi=dt.datetime(2026, 11, 2, 3, 0), jumlah_diverifikasi=4)
    assert "4 menjadi 5 orang" in tampilan.next_step(changed, staff=True, kabid=False)
    assert tampilan.next_step(_desa(referensi=0), staff=True, kabid=False).endswith("impor ekstraknya di atas.")


def test_an_import_summary_lists_what_was_left_out_under_its_own_title():
    message, notes = tampilan.reference_summary(ReferenceImport(3, 1, ["Baris 4: NIK kosong"], 2), "dtks.xlsx")
    assert message == "dtks.xlsx: 3 baris baru, 1 sudah ada, 1 dilewati, 2 dengan desa yang tidak dikenal."
    assert notes == [("1 baris dilewati", ["Baris 4: NIK kosong"])]
    again, none = tampilan.bpjs_summary(BpjsResult(None, True, 0, 0, 0, [], []), "bpjs.xlsx")
    assert "sudah pernah diimpor" in again and none == []
    _, notes = tampilan.bpjs_summary(BpjsResult(1, False, 3, 2, 1, [("Siti", None)], []), "bpjs.xlsx")
    assert notes[0] == ("Penggantian peserta (1)", ["Siti: tidak ada calon pengganti di desanya"])


def test_the_page_tables_show_nik_masked():
    class Person:
        desa_kode, nik, nama, bpjs_status, pengganti_untuk = "kaling", "3313014101900003", "Siti", "belum_dicek", None

    row = tampilan.people_rows([Person()], {"kaling": ("Kaling", "Tasikmadu")})[0]
    assert row["NIK"] != Person.nik and row["NIK"].endswith("0003")


def test_each_tab_says_the_next_step_of_the_cohort():
    verified = dict(calon=4, diverifikasi=dt.datetime(2026, 11, 2, 3, 0), jumlah_diverifikasi=4)
    unverified, ready = _desa(nama="Kaling", calon=4), _desa(nama="Jatiharjo", **verified)
    sent = _desa(nama="Karang Dalo", surat_tanggal=dt.date(2026, 11, 3), **verified)
    answered = _desa(nama="Jatisobo", surat_tanggal=dt.date(2026, 11, 3), jawaban=dt.date(2026, 11, 5), valid=4,
                     menunggu=4, **verified)
    tab1 = tampilan.lists_next([unverified, ready], staff=False, kabid=True)
    assert tab1.startswith("Langkah berikutnya: Verifikasi daftar calon 1 desa (Kaling).")
    assert "1 desa yang daftarnya sudah diverifikasi dicatat di tab 2" in tab1
    tab2 = tampilan.letters_next([ready, sent, answered])
    assert "Catat surat konfirmasi untuk 1 desa (Jatiharjo)." in tab2
    assert "Tunggu jawaban 1 desa (Karang Dalo)." in tab2 and "menunggu diambil menjadi peserta di tab 3" in tab2
    assert "tab 1" in tampilan.letters_next([unverified])
    assert "tab 3" in tampilan.sk_next(0, 0, None)
    assert "3 peserta belum dicek" in tampilan.sk_next(8, 3, None)
    assert "catat nomor dan tanggal SK" in tampilan.sk_next(8, 0, None)
    assert "sudah ditetapkan" in tampilan.sk_next(8, 0, "800/12/2027")


def test_the_screens_name_dtsen_wherever_they_name_dtks_and_p3ke_since_dtsen_extracts_are_accepted():
    from pathlib import Path

    from lib.rentan import desa

    assert "DTSEN" in desa.SOURCES
    root = Path(__file__).resolve().parent.parent
    lines = [(p.name, line) for p in [*(root / "lib" / "rentan").glob("*.py"), *(root / "views").glob("*.py"),
                                       root / "lib" / "base" / "audit.py"]
             for line in p.read_text(encoding="utf-8").splitlines() if "DTKS/P3KE" in line]
    assert lines and all("DTKS/P3KE/DTSEN" in line for _, line in lines), [x for x in lines if "DTSEN" not in x[1]]


def test_the_page_knows_what_its_reader_may_do_from_their_grants():
    from lib.base.permissions import Actor, Grant

    kabid = Actor(1, "kabidsos", "Kabid", frozenset({Grant("kepala_bidang", "bidang:jaminan-sosial")}))
    staf = Actor(2, "staf", "Staf", frozenset({Grant("staf")}))
    operator = Actor(3, "op", "Operator", frozenset({Grant("operator_desa", "desa:kaling")}))
    assert tampilan.reader(kabid) == tampilan.Reader(staff=True, kabid=True, export=True)
    assert tampilan.reader(staf) == tampilan.Reader(staff=True, kabid=False, export=True)
    assert tampilan.reader(operator) == tampilan.Reader(staff=False, kabid=False, export=False)
    assert not tampilan.may_download_template(staf, _desa(calon=0))  # no list yet
    assert tampilan.may_download_template(staf, _desa(calon=3))
    assert tampilan.may_download_template(operator, _desa(calon=3))  # its own desa
    assert not tampilan.may_download_template(operator, _desa(kode="jatisobo", calon=3))


def test_the_page_and_cohort_captions_name_the_steps_the_period_and_the_sk():
    from types import SimpleNamespace

    assert tampilan.page_caption("langkah 1–24") == (
        "Bantuan iuran JKK+JKM BPJS Ketenagakerjaan bagi pekerja rentan (SOP langkah 1–24): data DTKS/P3KE/DTSEN, "
        "daftar calon per desa, surat konfirmasi, cek BPJS, SK dan anggaran.")
    assert tampilan.page_caption("").startswith("Bantuan iuran JKK+JKM BPJS Ketenagakerjaan bagi pekerja rentan: ")
    k = SimpleNamespace(mulai=dt.date(2027, 1, 1), selesai=dt.date(2027, 12, 1), sumber_dana="APBD", nomor_sk=None,
                        tanggal_sk=None)
    assert tampilan.cohort_caption(k) == ("Kepesertaan Januari 2027 – Desember 2027 (12 bulan) · sumber dana APBD "
                                          "· SK belum ditetapkan")
    assert tampilan.sk_attachment_label(k) == "Unduh rancangan lampiran SK (XLSX)"
    signed = SimpleNamespace(**{**vars(k), "nomor_sk": "800/12/2027", "tanggal_sk": dt.date(2027, 1, 4)})
    assert tampilan.cohort_caption(signed).endswith("· sumber dana APBD · SK 800/12/2027 tanggal 4 Januari 2027")
    assert tampilan.sk_attachment_label(signed) == "Unduh lampiran SK (XLSX, NIK lengkap)"
    assert tampilan.sk_fixed(signed) == ("SK 800/12/2027 tanggal 4 Januari 2027 ditetapkan; daftar peserta tidak "
                                         "dapat diubah lagi.")
    assert tampilan.sk_message("800/12/2027", 1234) == "SK 800/12/2027 ditetapkan untuk 1.234 peserta."
    assert tampilan.desa_label(_desa()) == "Kaling (Kec. Tasikmadu)"


def test_the_desa_buttons_say_why_they_are_locked_and_the_messages_after_them():
    assert tampilan.build_help(_desa(referensi=0)) == "Belum ada data referensi untuk desa ini."
    assert tampilan.build_help(_desa(referensi=3)) is None
    verified = dict(diverifikasi=dt.datetime(2026, 11, 2, 3, 0), jumlah_diverifikasi=4)
    assert tampilan.verify_locked(_desa(calon=0)) == (True, None)
    assert tampilan.verify_locked(_desa(calon=4)) == (False, None)
    assert tampilan.verify_locked(_desa(calon=4, **verified)) == (True, "Daftar ini sudah diverifikasi.")
    assert tampilan.verify_locked(_desa(calon=5, **verified)) == (False, None)  # changed: verified again
    assert tampilan.built_summary(1200, "Kaling") == ("1.200 calon ditambahkan ke daftar Kaling.", [])
    assert tampilan.built_summary(0, "Kaling")[0] == ("Tidak ada calon baru: semua orang dalam data DTKS/P3KE/DTSEN "
                                                      "Kaling sudah ada di daftar.")
    assert tampilan.quota_message("Kaling", None) == "Kuota Kaling: semua calon Valid."
    assert tampilan.quota_message("Kaling", 25) == ("Kuota Kaling: 25 peserta; calon Valid selebihnya menjadi "
                                                    "cadangan pengganti.")
    assert tampilan.taken_summary(7) == ("7 calon berstatus Valid masuk daftar peserta.", [])


def test_the_letters_tab_splits_the_desa_between_its_two_forms():
    verified = dict(calon=4, diverifikasi=dt.datetime(2026, 11, 2, 3, 0), jumlah_diverifikasi=4)
    none = _desa(kode="a", nama="A")
    ready = _desa(kode="b", nama="B", **verified)
    changed = _desa(kode="c", nama="C", **{**verified, "calon": 6})
    sent = _desa(kode="d", nama="D", surat_tanggal=dt.date(2026, 11, 3), batas=dt.date(2026, 11, 10), terlambat=True,
                 **verified)
    answered = _desa(kode="e", nama="E", surat_tanggal=dt.date(2026, 11, 3), jawaban=dt.date(2026, 11, 5), **verified)
    shown = tampilan.letters_shown([none, ready, changed, sent, answered])
    assert [d.kode for d in shown] == ["b", "c", "d", "e"]
    assert tampilan.letter_choices(shown) == tampilan.LetterChoices(ready={"b": "B"}, changed=["C"],
                                                                    waiting={"d": "D"})
    assert tampilan.late_warning([none, sent]) == ("1 desa terlambat menjawab surat konfirmasi: D (batas 10 November "
                                                   "2026)")
    assert tampilan.late_warning([none, ready]) is None
    assert tampilan.changed_caption(["C", "F"]) == ("Daftar C, F berubah sejak diverifikasi; surat dikirim setelah "
                                                    "Kepala Bidang memverifikasinya lagi (tab 1).")
    assert tampilan.agenda_caption({"b": "B", "x": "X"}, {"b": "400/7/2026"}) == (
        "Nomor dari agenda surat keluar: B 400/7/2026")
    assert tampilan.agenda_caption({"b": "B"}, {}) is None


def test_the_participants_tab_counts_its_people_and_says_what_the_check_waits_for():
    from types import SimpleNamespace as P

    wil = {"kaling": ("Kaling", "Tasikmadu"), "buran": ("Buran", "Tasikmadu")}
    active = [P(desa_kode="kaling", bpjs_status="belum_dicek", nik="3313014101900003", nama="Siti",
                pengganti_untuk=None),
              P(desa_kode="buran", bpjs_status="belum_terdaftar", nik="3313014101900004", nama="Ani",
                pengganti_untuk=None),
              P(desa_kode="kaling", bpjs_status="belum_dicek", nik="3313014101900005", nama="Budi",
                pengganti_untuk=9)]
    assert tampilan.unchecked(active) == 2
    assert tampilan.participant_figures(active, [("old", None)]) == [
        ("Peserta aktif", "3"), ("Belum dicek BPJS", "2"), ("Layak (belum terdaftar)", "1"), ("Diganti", "1")]
    assert tampilan.check_caption(0, False).startswith("Belum ada peserta. Peserta diambil dari calon")
    assert tampilan.check_caption(2, True).startswith("2 peserta belum dicek: unduh daftarnya")
    assert tampilan.check_caption(0, True) == ("Semua peserta aktif sudah dicek BPJS Ketenagakerjaan. SK dan "
                                               "anggaran ada di tab 4.")
    assert tampilan.participant_desa(active, wil) == ["Buran", "Kaling"]
    rows = tampilan.people_of_desa(active, wil, "Kaling")
    assert [(r["Nama"], r["Pengganti"]) for r in rows] == [("Siti", ""), ("Budi", "Ya")]


def test_the_budget_tab_shows_its_figures_and_warns_while_people_are_unchecked():
    from lib.rentan.anggaran import Budget, Iuran

    iuran = Iuran()  # Rp1.000.000 × 1% + Rp6.800 = Rp16.800 a month
    b = Budget(iuran=iuran, bulan=12, desa=[], kecamatan=[], peserta=10, belum_dicek=3,
               total=10 * iuran.per_bulan * 12)
    assert tampilan.budget_figures(b) == [("Peserta", "10"), ("Iuran per bulan", "Rp168.000"),
                                          ("Jumlah 12 bulan", "Rp2.016.000")]
    assert tampilan.estimate_warning(b) == ("Perkiraan: 3 peserta belum dicek BPJS Ketenagakerjaan, jadi jumlah ini "
                                            "masih bisa berubah.")
    assert tampilan.estimate_warning(Budget(iuran, 12, [], [], 10, 0, b.total)) is None
