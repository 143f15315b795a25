"""SOP revisions through the web: the workflow, who may do what, pinning, and the YAML round trip."""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from lib.base import accounts
from lib.base.db import Case, SopRevision, session_factory
from lib.base.permissions import PermissionDenied
from lib.casework import cases
from lib.catalogue import model as catalog
from lib.catalogue import revisions, store
from lib.measure import kpi

from .cli import run
from .conftest import add_users
from .test_cases import act as cases_act
from .test_cases import who

T0 = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.timezone.utc)
DOCS = catalog.load_catalog()


@pytest.fixture
def db(ready_db):
    add_users(ready_db, ("adi", "admin", None), ("ani", "admin", None), ("hendra", "kepala_dinas", None),
              ("rina", "staf", None), ("dewi", "kasi", None), ("budi", "kepala_bidang", "bidang:tenaga-kerja"))
    return session_factory(ready_db)


def act(db, username, fn, *args, **kwargs):
    """As tests.test_cases.act, with a revision given back as its id (it leaves the session)."""
    def call(s, actor, *a, **k):
        result = fn(s, actor, *a, **k)
        return result.id if isinstance(result, SopRevision) else result
    return cases_act(db, username, call, *args, **kwargs)


def three_step_sop(**over) -> dict:
    data = {"id": "surat-keterangan", "jenis": "sop", "nama": "Penerbitan Surat Keterangan Kerja",
            "kode_register": "SKK", "bidang": "tenaga-kerja",
            "pelaksana": [{"kode": "pemohon", "label": "Pemohon", "peran": ["staf"], "eksternal": True},
                          {"kode": "petugas", "label": "Petugas", "peran": ["staf"]},
                          {"kode": "kasi", "label": "Kasi", "peran": ["kasi"]}],
            "langkah": [{"no": 1, "kegiatan": "Mengajukan permohonan", "pelaksana": "pemohon", "waktu": "5 Menit"},
                        {"no": 2, "kegiatan": "Menyiapkan surat", "pelaksana": "petugas", "waktu": "15 Menit"},
                        {"no": 3, "kegiatan": "Menandatangani surat", "pelaksana": "kasi", "waktu": "10 Menit"}]}
    data.update(over)
    return data


def test_export_import_export_is_byte_identical_for_every_catalogue_document(db):
    for doc_id in DOCS:
        with db() as s:
            first = revisions.export_yaml(s, doc_id)
        rev_id = act(db, "adi", revisions.import_yaml, first)
        with db() as s:
            again = revisions.export_yaml(s, doc_id, s.get(SopRevision, rev_id).revision_no)
        assert again == first, doc_id


def test_a_new_sop_is_in_force_only_after_kepala_dinas_approves_it(db):
    rev = act(db, "adi", revisions.save_draft, three_step_sop(), "SOP baru")
    with db() as s:
        assert "surat-keterangan" not in store.active_documents(s)
    act(db, "adi", revisions.submit, rev)
    act(db, "hendra", revisions.approve, rev)
    with db() as s:
        assert store.active_documents(s)["surat-keterangan"].revision_no == 1
    v = act(db, "rina", cases.open_case, "surat-keterangan", now=T0)
    assert v.register_no == "SKK/2026/00001"


def test_an_approved_revision_is_dated_with_its_approval_day_in_wib(db):
    with db() as s:
        data = catalog.to_data(store.active_documents(s)["kartu-ak1"].doc)
    data["nama"] = "Kartu AK1, revisi"
    rev = act(db, "adi", revisions.save_draft, data, "Judul")
    act(db, "adi", revisions.submit, rev)
    late_evening = dt.datetime(2026, 1, 5, 18, 30, tzinfo=dt.timezone.utc)  # 6 January 01.30 WIB
    act(db, "hendra", revisions.approve, rev, now=late_evening)
    with db() as s:
        in_force = store.active_documents(s)["kartu-ak1"]
        assert in_force.doc.tanggal_revisi == dt.date(2026, 1, 6)
        stored = s.get(SopRevision, rev)
        assert stored.content_hash == catalog.content_hash(stored.content)


def test_staf_cannot_edit_an_sop(db):
    with pytest.raises(PermissionDenied):
        act(db, "rina", revisions.save_draft, three_step_sop(), "coba")


def test_only_kepala_dinas_approves_and_never_a_revision_they_wrote(db):
    rev = act(db, "adi", revisions.save_draft, three_step_sop(), "SOP baru")
    act(db, "adi", revisions.submit, rev)
    for user in ("adi", "ani", "budi", "dewi"):
        with pytest.raises(PermissionDenied):
            act(db, user, revisions.approve, rev)
    # a Kepala Dinas who also administers the catalogue may not approve their own revision
    with db.begin() as s:
        accounts.set_roles(s, who(db, "adi"), "hendra", [("kepala_dinas", None), ("admin", None)])
    own = act(db, "hendra", revisions.save_draft, three_step_sop(nama="Versi Kadis"), "draf sendiri")
    act(db, "hendra", revisions.submit, own)
    with pytest.raises(PermissionDenied, match="sendiri"):
        act(db, "hendra", revisions.approve, own)


def test_a_returned_revision_needs_a_reason_and_goes_back_to_draft(db):
    rev = act(db, "adi", revisions.save_draft, three_step_sop(), "SOP baru")
    act(db, "adi", revisions.submit, rev)
    with pytest.raises(revisions.RevisionError, match="alasan"):
        act(db, "hendra", revisions.send_back, rev, "  ")
    act(db, "hendra", revisions.send_back, rev, "Langkah 2 belum punya output.")
    with db() as s:
        assert s.get(SopRevision, rev).state == "draft"
        assert [h[2] for h in revisions.history(s, rev)] == ["draft", "diajukan", "draft"]


def test_an_invalid_revision_is_refused_where_it_is_wrong_and_nothing_is_saved(db):
    bad = three_step_sop(langkah=[{"no": 1, "kegiatan": "X", "pelaksana": "pemohon", "waktu": "sebentar"}])
    with pytest.raises(catalog.CatalogError, match="waktu"):
        act(db, "adi", revisions.save_draft, bad, "salah")
    with pytest.raises(revisions.RevisionError, match="catatan"):
        act(db, "adi", revisions.save_draft, three_step_sop(), "")
    with db() as s:
        assert revisions.revisions(s, "surat-keterangan") == []


def _revise_ak1_step_4(db, minutes: int, note: str) -> None:
    data = catalog.to_data(DOCS["kartu-ak1"])
    data["langkah"][3]["waktu"] = f"{minutes} Menit"
    rev = act(db, "adi", revisions.save_draft, data, note)
    act(db, "adi", revisions.submit, rev)
    act(db, "hendra", revisions.approve, rev)


def test_a_running_case_keeps_its_revision_and_new_cases_take_the_new_one(db):
    old = act(db, "rina", cases.open_case, "kartu-ak1", now=T0)
    _revise_ak1_step_4(db, 2, "Paraf Kasi dipercepat")
    new = act(db, "rina", cases.open_case, "kartu-ak1", now=T0)
    with db() as s:
        assert old.revision_id != new.revision_id
        assert cases.sop_of(s, s.get(Case, old.id)).langkah[3].waktu == "5 Menit"
        assert cases.sop_of(s, s.get(Case, new.id)).langkah[3].waktu == "2 Menit"
        assert [r.state for r in revisions.revisions(s, "kartu-ak1")] == ["disahkan", "tidak_berlaku"]


def test_kpi_judges_each_case_by_its_own_revision_and_groups_by_revision(db):
    def run_ak1(now):
        v = act(db, "rina", cases.open_case, "kartu-ak1", now=now)
        for no, user, outcome in ((1, "rina", None), (2, "rina", "ya"), (3, "rina", None)):
            v = act(db, user, cases.complete_step, v.id, no, v.version, outcome=outcome, now=now)
        v = act(db, "dewi", cases.start_step, v.id, 4, v.version, now=now)
        act(db, "dewi", cases.complete_step, v.id, 4, v.version, now=now + dt.timedelta(minutes=4))

    run_ak1(T0)                                   # 4 minutes against 5: within
    _revise_ak1_step_4(db, 2, "Paraf Kasi dipercepat")
    run_ak1(T0 + dt.timedelta(hours=1))           # 4 minutes against 2: late
    with db() as s:
        data = kpi.load(s, dt.date(2026, 1, 1), dt.date(2026, 1, 31), ["kartu-ak1"])
        by_rev = kpi.step_stats(data, by_revision=True)
    step4 = by_rev[by_rev["step_no"] == 4].set_index("revision_no")
    assert step4.loc[1, "within_pct"] == 100 and step4.loc[2, "within_pct"] == 0
    assert step4.loc[1, "target_working_min"] == 5 and step4.loc[2, "target_working_min"] == 2


def test_revert_makes_a_new_draft_with_the_old_content(db):
    _revise_ak1_step_4(db, 2, "Paraf Kasi dipercepat")
    rev = act(db, "adi", revisions.revert, "kartu-ak1", 1)
    with db() as s:
        r = s.get(SopRevision, rev)
        assert (r.revision_no, r.state) == (3, "draft")
        assert revisions.document(r).langkah[3].waktu == "5 Menit"
        second = s.scalars(select(SopRevision).where(SopRevision.sop_id == "kartu-ak1",
                                                     SopRevision.revision_no == 2)).one()
        shown = re.sub("<[^>]+>", "", revisions.diff_html(second, r)).replace("&nbsp;", " ")
        assert "waktu: 2 Menit" in shown and "waktu: 5 Menit" in shown


def test_retiring_an_sop_takes_it_out_of_force(db):
    with pytest.raises(revisions.RevisionError, match="alasan"):
        act(db, "hendra", revisions.retire, "pelatihan", "")
    act(db, "hendra", revisions.retire, "pelatihan", "Digabung dengan SOP lain")
    with db() as s:
        assert "pelatihan" not in store.active_documents(s)


def test_the_cli_exports_and_imports_a_draft(db, ready_db, tmp_path):
    out = run("sop", "export", "kartu-ak1", url=ready_db)
    assert out.returncode == 0 and out.stdout.startswith("id: kartu-ak1\njenis: sop\n")
    f = tmp_path / "ak1.yaml"
    f.write_text(out.stdout.replace("Input data dan proses cetak AK1", "Input data dan cetak AK1"), encoding="utf-8")
    res = run("sop", "import", str(f), "--note", "Ubah kata", "--json", url=ready_db)
    assert res.returncode == 0, res.stderr
    assert '"status": "draft"' in res.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\njenis: sop\nnama: [", encoding="utf-8")
    res = run("sop", "import", str(bad), url=ready_db)
    assert res.returncode == 2 and "bukan YAML yang sah" in res.stderr
    assert run("sop", "export", "tidak-ada", url=ready_db).returncode == 2
