"""The one workflow mechanism (lib/base/workflow.py) and its tables (data/workflows/*.yaml): the rulebook of who
may take which transition from which state, for every object type; exactly one of two people moving the same
object succeeds; history, audit and event in the caller's transaction; the docs page follows the tables; and
no state or history row is written anywhere else."""
import ast
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

import lib.casework.cases  # noqa: F401  (declares the case workflow)
import lib.catalogue.revisions  # noqa: F401
import lib.evaluation.reviews  # noqa: F401
import lib.rentan.alur  # noqa: F401
from lib.base import workflow
from lib.base.db import AuditEntry, SopRevision, WorkflowHistory
from lib.base.permissions import Actor, Grant, PermissionDenied
from lib.catalogue import revisions
from lib.rentan.alur import BIDANG_SCOPE

from .test_cases import who
from .test_revisions import act, three_step_sop
from .test_revisions import db as db  # noqa: F401  (users adi and ani: admin; hendra: kepala_dinas; rina: staf)

ROOT = Path(__file__).resolve().parent.parent

# --- the rulebook -------------------------------------------------------------------------------------------------
ACTORS = {
    "admin": Actor(1, "admin", "Admin", frozenset({Grant("admin")})),
    "kadis": Actor(2, "kadis", "Kepala Dinas", frozenset({Grant("kepala_dinas")})),
    "sekdin": Actor(3, "sekdin", "Sekretaris", frozenset({Grant("sekretaris")})),
    "kabid": Actor(4, "kabid", "Kabid Tenaga Kerja", frozenset({Grant("kepala_bidang", "bidang:tenaga-kerja")})),
    "kabidsos": Actor(5, "kabidsos", "Kabid Jaminan Sosial", frozenset({Grant("kepala_bidang", BIDANG_SCOPE)})),
    "kasi": Actor(6, "kasi", "Kasi", frozenset({Grant("kasi")})),
    "staf": Actor(7, "staf", "Staf", frozenset({Grant("staf")})),
    "operator": Actor(8, "operator", "Operator Karang Dalo", frozenset({Grant("operator_desa", "desa:karang-dalo")})),
    "operator_lain": Actor(9, "oplain", "Operator Jatisobo", frozenset({Grant("operator_desa", "desa:jatisobo")})),
    "evaluator": Actor(10, "evaluator", "Evaluator", frozenset({Grant("evaluator")})),
}
#: The scopes of a typical object of each type: an AK1 review and case (bidang tenaga kerja), Karang Dalo's
#: list and validation file in the pekerja rentan cohort (bidang jaminan sosial).
SCOPES = {"sop_revision": (None,), "review": ("bidang:tenaga-kerja",), "kohort": (BIDANG_SCOPE,),
          "kohort_desa": (BIDANG_SCOPE, "desa:karang-dalo"), "peserta_kohort": (BIDANG_SCOPE,),
          "validasi_batch": (BIDANG_SCOPE, "desa:karang-dalo"), "case": ("bidang:tenaga-kerja", None),
          "delegasi": (None, "bidang:tenaga-kerja")}
RUN_CASES = {"kadis", "sekdin", "kabid", "kasi", "staf"}  # the operator runs only their desa's cases
#: Who may take each transition (that does not create the object), written out by hand as the agency's rules.
RULEBOOK = {
    ("sop_revision", "ajukan"): {"admin"},
    ("sop_revision", "sahkan"): {"kadis"},
    ("sop_revision", "kembalikan"): {"kadis"},
    ("sop_revision", "ganti"): {"kadis"},
    ("sop_revision", "cabut"): {"kadis"},
    ("sop_revision", "ganti_berkas"): set(),
    ("review", "ajukan"): {"evaluator"},
    ("review", "setujui"): {"kadis"},
    ("review", "kembalikan"): {"kadis"},
    ("kohort", "tetapkan_sk"): {"staf", "kabidsos"},
    ("kohort_desa", "verifikasi"): {"kabidsos"},
    ("kohort_desa", "kirim_surat"): {"staf", "kabidsos"},
    ("kohort_desa", "catat_jawaban"): {"staf", "kabidsos"},
    ("kohort_desa", "jawaban_berkas"): {"staf", "operator"},
    ("peserta_kohort", "ganti"): {"staf", "kabidsos"},
    ("case", "kembalikan"): RUN_CASES,
    ("case", "lanjutkan"): RUN_CASES,
    ("case", "selesaikan"): RUN_CASES,
    ("case", "eskalasi"): set(),
    ("case", "alihkan"): {"kabid", "kasi"},
    ("delegasi", "akhiri"): {"admin", "kadis", "sekdin", "kabid", "kasi"},  # and only their own (guard), or the admin
}


def _moving_transitions():
    return sorted((wf.object_type, t.name) for wf in workflow.tables().values()
                  for t in wf.transitions.values() if not (t.creates and len(t.sources) == 1))


def test_the_rulebook_names_every_transition_of_every_table():
    assert sorted(RULEBOOK) == _moving_transitions()


@pytest.mark.parametrize("object_type, name", sorted(RULEBOOK), ids=[f"{o}.{n}" for o, n in sorted(RULEBOOK)])
def test_who_may_take_each_transition_from_each_state(object_type, name):
    """State × role: the transition is open to exactly the rulebook's roles, and only from its source states."""
    wf = workflow.table(object_type)
    t = wf.transitions[name]
    for state in wf.states:
        for role, actor in ACTORS.items():
            may = name in workflow.permitted(actor, object_type, state, SCOPES[object_type], buttons_only=False)
            expected = state in t.sources and role in RULEBOOK[(object_type, name)]
            assert may == expected, f"{role} {'may' if may else 'may not'} {object_type}.{name} from {state}"


def test_kabid_cannot_approve_a_review():
    assert "setujui" not in workflow.permitted(ACTORS["kabid"], "review", "diajukan", SCOPES["review"])


def test_an_evaluator_cannot_approve_their_own_review_or_anyone_elses():
    assert workflow.permitted(ACTORS["evaluator"], "review", "diajukan", SCOPES["review"]) == []


def test_an_operator_answers_a_letter_by_file_for_their_own_desa_only():
    other = (BIDANG_SCOPE, "desa:jatisobo")
    assert "jawaban_berkas" in workflow.permitted(ACTORS["operator"], "kohort_desa", "surat_dikirim",
                                                  SCOPES["kohort_desa"], buttons_only=False)
    assert "jawaban_berkas" not in workflow.permitted(ACTORS["operator"], "kohort_desa", "surat_dikirim", other,
                                                      buttons_only=False)


def test_only_the_kabid_of_jaminan_sosial_verifies_a_desa_list():
    for role in ("kabid", "staf", "kadis", "admin"):
        assert "verifikasi" not in workflow.permitted(ACTORS[role], "kohort_desa", "belum_diverifikasi",
                                                      SCOPES["kohort_desa"])


def test_system_only_transitions_are_refused_to_every_user_and_taken_by_the_system():
    system_only = [(wf.object_type, t.name) for wf in workflow.tables().values()
                   for t in wf.transitions.values() if t.system_only]
    assert ("sop_revision", "muat_berkas") in system_only
    for object_type, name in system_only:
        state = workflow.table(object_type).transitions[name].sources[0]
        for actor in ACTORS.values():
            assert name not in workflow.permitted(actor, object_type, state, SCOPES[object_type], buttons_only=False)
        assert name in workflow.permitted(None, object_type, state, buttons_only=False)


# --- the tables ---------------------------------------------------------------------------------------------------
def test_every_table_names_an_audit_action_and_every_guard_has_its_rule():
    named = {t.guard for wf in workflow.tables().values() for t in wf.transitions.values() if t.guard}
    assert named <= workflow.registered_guards(), named - workflow.registered_guards()
    described = {g for wf in workflow.tables().values() for g in wf.guards}
    assert described == named, "every guard described in a table is used by a transition, and the other way"


def test_a_table_with_an_unknown_state_or_permission_is_refused(tmp_path):
    bad = tmp_path / "contoh.yaml"
    bad.write_text("jenis_objek: contoh\nnama: Contoh\nkeadaan: {a: A}\ntransisi:\n"
                   "  pindah: {label: Pindah, dari: [a], ke: b, izin: run_cases, audit: ekspor}\n", encoding="utf-8")
    with pytest.raises(workflow.WorkflowError, match="keadaan “b” tidak ada"):
        workflow.tables.__wrapped__(tmp_path)
    bad.write_text("jenis_objek: contoh\nnama: Contoh\nkeadaan: {a: A}\ntransisi:\n"
                   "  pindah: {label: Pindah, dari: [a], ke: a, izin: terbang, audit: ekspor}\n", encoding="utf-8")
    with pytest.raises(workflow.WorkflowError, match="izin tidak dikenal: terbang"):
        workflow.tables.__wrapped__(tmp_path)


def test_docs_workflows_md_is_generated_from_the_tables():
    page = (ROOT / "docs" / "workflows.md").read_text(encoding="utf-8")
    assert page == workflow.docs_markdown() + "\n", "docs/workflows.md is stale: run python -m lib workflow docs"


def test_the_workflow_docs_command_writes_the_page(tmp_path):
    from .cli import run

    out = tmp_path / "workflows.md"
    result = run("workflow", "docs", "--output", str(out), url=f"sqlite:///{tmp_path / 'unused.db'}")
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == workflow.docs_markdown() + "\n"


# --- the mechanism on real objects ----------------------------------------------------------------------------
def _submitted(db) -> int:
    rev = act(db, "adi", revisions.save_draft, three_step_sop(), "SOP baru")
    act(db, "adi", revisions.submit, rev)
    return rev


def test_what_can_i_do_lists_what_the_actor_may_take_now_guards_included(db):
    rev = _submitted(db)
    with db() as s:
        r = s.get(SopRevision, rev)
        assert [t.name for t in workflow.available(s, who(db, "hendra"), r)] == ["sahkan", "kembalikan"]
        assert workflow.available(s, who(db, "rina"), r) == []
        assert workflow.available(s, who(db, "adi"), r) == []  # the author may neither approve nor return


def test_the_author_of_a_revision_cannot_approve_it_even_as_kepala_dinas(db):
    with db.begin() as s:
        hendra = who(db, "hendra")
        r = SopRevision(sop_id="kartu-ak1", revision_no=99, content={}, content_hash="x", source="web",
                        author_id=hendra.user_id, note="uji")
        workflow.create(s, None, r, "simpan", comment="uji")
        workflow.transition(s, None, r, "ajukan")
        assert [t.name for t in workflow.available(s, hendra, r)] == ["kembalikan"]
        with pytest.raises(revisions.RevisionError, match="tulis sendiri"):
            workflow.transition(s, hendra, r, "sahkan")
        s.rollback()


def test_a_transition_writes_state_history_audit_and_one_event_in_the_callers_transaction(db):
    rev = act(db, "adi", revisions.save_draft, three_step_sop(), "SOP baru")
    events = []
    workflow.subscribe(events.append)
    try:
        with db() as s:
            before = s.scalar(select(func.count(AuditEntry.id)))
        with pytest.raises(RuntimeError):
            with db.begin() as s:
                workflow.transition(s, who(db, "adi"), s.get(SopRevision, rev), "ajukan")
                raise RuntimeError("the caller fails after the move")
        with db() as s:
            assert s.get(SopRevision, rev).state == "draft"
            assert s.scalar(select(func.count(AuditEntry.id))) == before
            assert [h.to_state for h in workflow.history(s, "sop_revision", rev)] == ["draft"]
        act(db, "adi", revisions.submit, rev)
        with db() as s:
            assert s.get(SopRevision, rev).state == "diajukan"
            assert [h.to_state for h in workflow.history(s, "sop_revision", rev)] == ["draft", "diajukan"]
            assert s.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == "ajukan_revisi_sop"
    finally:
        workflow.unsubscribe(events.append)
    moved = [(e.object_type, e.transition, e.from_state, e.to_state) for e in events]
    assert moved == [("sop_revision", "ajukan", "draft", "diajukan"), ("sop_revision", "ajukan", "draft", "diajukan")]


def test_a_comment_is_required_where_the_table_says_so(db):
    rev = _submitted(db)
    with pytest.raises(revisions.RevisionError, match="alasan pengembalian"):
        with db.begin() as s:
            workflow.transition(s, who(db, "hendra"), s.get(SopRevision, rev), "kembalikan", comment="  ")


def test_a_transition_from_the_wrong_state_is_refused_and_changes_nothing(db):
    rev = act(db, "adi", revisions.save_draft, three_step_sop(), "SOP baru")
    with pytest.raises(revisions.RevisionError, match="Sahkan tidak dapat dilakukan: revisi sop ini draf"):
        with db.begin() as s:
            workflow.transition(s, who(db, "hendra"), s.get(SopRevision, rev), "sahkan")
    with db() as s:
        assert s.get(SopRevision, rev).state == "draft"


def test_a_user_without_the_permission_is_refused_by_the_mechanism_itself(db):
    rev = _submitted(db)
    with pytest.raises(PermissionDenied):
        with db.begin() as s:
            workflow.transition(s, who(db, "rina"), s.get(SopRevision, rev), "sahkan")


def test_of_two_people_moving_the_same_object_exactly_one_succeeds_and_the_other_is_told_who(db):
    rev = _submitted(db)
    first, second = db(), db()
    try:
        a = first.get(SopRevision, rev)
        b = second.get(SopRevision, rev)
        assert a.state == b.state == "diajukan"  # both read the revision before either moves it
        workflow.transition(first, who(db, "hendra"), a, "kembalikan", comment="Perbaiki langkah 2.")
        first.commit()
        with pytest.raises(revisions.RevisionError, match=r"sudah diubah oleh Hendra pada .* \(sekarang: Draf\)"):
            workflow.transition(second, who(db, "hendra"), b, "sahkan")
        second.rollback()
    finally:
        first.close()
        second.close()
    with db() as s:
        assert s.get(SopRevision, rev).state == "draft"
        rows = s.scalars(select(WorkflowHistory.to_state).where(WorkflowHistory.object_id == str(rev),
                                                                WorkflowHistory.object_type == "sop_revision")).all()
        assert rows == ["draft", "diajukan", "draft"]


def test_two_threads_approving_the_same_revision_at_once_move_it_exactly_once(db):
    rev = _submitted(db)
    kadis = who(db, "hendra")
    barrier = threading.Barrier(2)
    outcomes = []

    def approve():
        try:
            with db.begin() as s:
                r = s.get(SopRevision, rev)
                barrier.wait(timeout=10)
                workflow.transition(s, kadis, r, "sahkan")
            outcomes.append("ok")
        except revisions.RevisionError as err:
            outcomes.append(str(err))
        except Exception as err:  # SQLite: the second writer may be told the database is busy
            outcomes.append(type(err).__name__)

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    assert outcomes.count("ok") == 1, outcomes
    with db() as s:
        history = s.scalars(select(WorkflowHistory.to_state).where(WorkflowHistory.object_id == str(rev),
                                                                   WorkflowHistory.object_type == "sop_revision"))
        assert list(history).count("disahkan") == 1


# --- nothing else writes a state --------------------------------------------------------------------------------
STATE_MODELS = {"Case", "SopRevision", "Review", "Kohort", "KohortDesa", "PesertaKohort", "ValidasiBatch"}
EXEMPT = {"lib/base/workflow.py"}


def _writes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            for t in ast.walk(target):
                if isinstance(t, ast.Attribute) and t.attr == "state":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} .state =")
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name == "WorkflowHistory":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} WorkflowHistory(...)")
            if name in STATE_MODELS | {"values"} and any(k.arg == "state" for k in node.keywords):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}(state=...)")
            if name == "setattr" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                    and node.args[1].value == "state":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} setattr(..., 'state')")
    return found


def test_no_state_or_history_row_is_written_outside_the_workflow_mechanism():
    files = [p for p in sorted((ROOT / "lib").rglob("*.py")) + sorted((ROOT / "views").rglob("*.py"))
             if "migrations" not in p.parts and str(p.relative_to(ROOT)) not in EXEMPT]
    found = [w for p in files for w in _writes(p)]
    assert not found, found


def test_the_state_check_finds_a_write_when_there_is_one(tmp_path):
    sample = ROOT / "tests" / "_sample_state_write.py"
    sample.write_text("def f(rev, session):\n    rev.state = 'disahkan'\n"
                      "    session.add(WorkflowHistory(object_type='x'))\n", encoding="utf-8")
    try:
        assert len(_writes(sample)) == 2
    finally:
        sample.unlink()
