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
