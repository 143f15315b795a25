"""The inbox (entries from the workflow's state and the working-time clock), the e-mail digest through a real
SMTP server started here (aiosmtpd), and the password reset by e-mail, end to end."""
from __future__ import annotations

import datetime as dt
import email
import json
import re
import socket
import urllib.parse
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from lib.base import accounts, sessions
from lib.base.db import AuditEntry, InboxMark, PasswordReset, SopRevision, User, session_factory
from lib.casework import cases
from lib.catalogue import revisions
from lib.kabar import kotak, reset, ringkasan, surel

from .cli import run
from .conftest import add_users
from .test_cases import T0, act, who
from .test_revisions import three_step_sop

AK1_FORM = {"nama": "Andi Saputra", "nik": "1671011505950003", "tanggal_lahir": dt.date(1995, 5, 15),
            "jenis_kelamin": "Laki-laki", "pendidikan": "SMA/SMK"}
ALL_AK1 = {"fc_ktp": True, "fc_ijazah": True, "foto_3x4": True, "foto_2x3": True}


@pytest.fixture
def db(ready_db):
    add_users(ready_db, ("rina", "staf", None), ("dewi", "kasi", None), ("hendra", "kepala_dinas", None),
              ("adi", "admin", None), ("tanpa", "kasi", None))
    factory = session_factory(ready_db)
    with factory.begin() as s:
        for u in s.scalars(select(User).where(User.username != "tanpa")):
            u.email = f"{u.username}@dinas.example"
    return factory


class Inbox:
    """An SMTP server on localhost that keeps every message it receives."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    for name, value in {"PORTAL_SMTP_HOST": "127.0.0.1", "PORTAL_SMTP_PORT": str(controller.port),
                        "PORTAL_SMTP_TLS": "tidak", "PORTAL_SMTP_SENDER": "portal@dinas.example",
                        "PORTAL_BASE_URL": "https://portal.dinas.example"}.items():
        monkeypatch.setenv(name, value)
    yield handler
    controller.stop()


def _kasi_step(db, now=T0, second=False):
    """A kartu AK1 file registered by the staf and taken to step 4 (the Kasi's paraf, 5 minutes); ``second``:
    another applicant's."""
    form = {**AK1_FORM, "nik": "1671010101900003", "nama": "Budi"} if second else AK1_FORM
    view, _ = act(db, "rina", cases.intake, "kartu-ak1", form, ALL_AK1, now=now)
    for no, outcome in ((2, "ya"), (3, None)):  # the completeness check passes, the card is typed
        view = act(db, "rina", cases.complete_step, view.id, no, view.version, outcome=outcome, now=now)
    return view


# --- the inbox ----------------------------------------------------------------------------------------------
def test_a_step_arrives_for_its_role_is_marked_read_when_opened_and_leaves_when_done(db):
    view = _kasi_step(db)
    with db() as s:
        dewi = kotak.entries(s, who(db, "dewi"), T0)
        assert [(e.kunci, e.jenis, e.page, e.record_id, e.dibaca) for e in dewi] == [
            (f"langkah:{view.id}:4:1", "langkah", "berkas", str(view.id), False)]
        assert kotak.unread(s, who(db, "dewi"), T0) == 1
        assert kotak.entries(s, who(db, "hendra"), T0) == []  # not a step of the Kepala Dinas
    act(db, "dewi", kotak.mark_read, dewi[0].kunci, now=T0)
    with db() as s:
        assert kotak.entries(s, who(db, "dewi"), T0)[0].dibaca and kotak.unread(s, who(db, "dewi"), T0) == 0
    act(db, "dewi", cases.complete_step, view.id, 4, view.version, now=T0)
    with db() as s:
        assert f"langkah:{view.id}:4:1" not in [e.kunci for e in kotak.entries(s, who(db, "dewi"), T0)]


def test_the_bells_kept_number_moves_with_a_new_step_an_opened_entry_and_a_step_done(db, ready_db, monkeypatch):
    from lib.ui import data

    monkeypatch.setenv("DATABASE_URL", ready_db)
    first = _kasi_step(db)
    assert data.unread(who(db, "dewi")) == 1 and data.unread(who(db, "hendra")) == 0
    second = _kasi_step(db, second=True)  # a write: the audit log moves
    assert data.unread(who(db, "dewi")) == 2
    with db() as s:
        kunci = next(e.kunci for e in kotak.entries(s, who(db, "dewi")) if e.record_id == str(first.id))
    act(db, "dewi", kotak.mark_read, kunci)  # writes no audit entry: the read marks move
    assert data.unread(who(db, "dewi")) == 1
    act(db, "dewi", cases.complete_step, second.id, 4, second.version, now=T0)
    assert data.unread(who(db, "dewi")) == 0
    with db() as s:
        assert kotak.unread(s, who(db, "dewi")) == 0


def test_due_soon_and_overdue_are_judged_in_working_time(db):
    _kasi_step(db)  # Monday 08:00 WIB; the paraf has 5 working minutes
    with db() as s:
        dewi = who(db, "dewi")
        assert kotak.entries(s, dewi, T0 + dt.timedelta(minutes=2))[0].status == "baru"
        assert kotak.entries(s, dewi, T0 + dt.timedelta(minutes=3))[0].status == "segera"
        assert kotak.entries(s, dewi, T0 + dt.timedelta(minutes=6))[0].status == "terlambat"
    friday = dt.datetime(2026, 1, 9, 9, 28, tzinfo=dt.timezone.utc)  # 16:28 WIB, 2 minutes before closing time
    _kasi_step(db, now=friday, second=True)
    with db() as s:  # over the weekend the clock stands still: Saturday noon is still 2 minutes in ...
        sat = kotak.entries(s, who(db, "dewi"), dt.datetime(2026, 1, 10, 5, 0, tzinfo=dt.timezone.utc))
        assert {e.tiba: e.status for e in sat}[friday] == "baru"
        # ... and Monday 07:31 WIB is 3 minutes in
        mon = kotak.entries(s, who(db, "dewi"), dt.datetime(2026, 1, 12, 0, 31, tzinfo=dt.timezone.utc))
        assert {e.tiba: e.status for e in mon}[friday] == "segera"


def test_a_submitted_revision_waits_for_the_approver_not_its_author_and_a_returned_one_goes_back(db):
    rev = act(db, "adi", lambda s, a, *x: revisions.save_draft(s, a, *x).id, three_step_sop(), "SOP baru")
    act(db, "adi", revisions.submit, rev)
    with db() as s:
        kinds = [(e.jenis, e.page) for e in kotak.entries(s, who(db, "hendra"))]
        assert kinds == [("pengesahan_sop", "pengesahan-sop")]
        assert kotak.entries(s, who(db, "adi")) == []  # the author may not approve it
    act(db, "hendra", revisions.send_back, rev, "Lengkapi dasar hukum.")
    with db() as s:
        assert kotak.entries(s, who(db, "hendra")) == []
        back = kotak.entries(s, who(db, "adi"))
        assert [(e.jenis, e.keterangan) for e in back] == [("sop_dikembalikan", "Alasan: Lengkapi dasar hukum.")]
    act(db, "adi", revisions.submit, rev)
    with db() as s:
        assert kotak.entries(s, who(db, "adi")) == []
        assert len(kotak.entries(s, who(db, "hendra"))) == 1


def test_the_marks_of_a_moved_object_are_tidied_by_the_workflow_event(db):
    rev = act(db, "adi", lambda s, a, *x: revisions.save_draft(s, a, *x).id, three_step_sop(), "SOP baru")
    act(db, "adi", revisions.submit, rev)
    with db() as s:
        kunci = kotak.entries(s, who(db, "hendra"))[0].kunci
    act(db, "hendra", kotak.mark_read, kunci)
    act(db, "hendra", revisions.approve, rev)
    with db() as s:
        assert s.get(SopRevision, rev).state == "disahkan"
        assert s.scalars(select(InboxMark).where(InboxMark.kunci == kunci)).all() == []


# --- the e-mail digest -----------------------------------------------------------------------------------
def _mails_by_recipient(smtp) -> dict[str, email.message.EmailMessage]:
    return {m["To"].addresses[0].addr_spec: m for m in smtp.messages}


def test_the_digest_sends_one_message_per_user_with_something_to_say_and_nothing_the_second_time(db, smtp,
                                                                                                 ready_db):
    url = ready_db
    view = _kasi_step(db)
    dry = run("notify", "--dry-run", "--json", url=url)
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert [(d["username"], d["email"]) for d in planned] == [("dewi", "dewi@dinas.example")]
    item = planned[0]["items"][0]
    assert item["halaman"] == f"/berkas?id={view.id}"
    link = f"https://portal.dinas.example/kotak-masuk?buka=langkah%3A{view.id}%3A4%3A1"  # opens it, marks it read
    assert item["tautan"] == link
    assert planned[0]["items"][0]["status"] == "terlambat"  # T0 was long ago
    assert smtp.messages == []  # a dry run sends nothing ...
    with db() as s:
        assert s.scalars(select(InboxMark)).all() == []  # ... and records nothing

    first = run("notify", "--json", url=url)
    assert first.returncode == 0, first.stderr
    mails = _mails_by_recipient(smtp)
    assert list(mails) == ["dewi@dinas.example"]
    mail = mails["dewi@dinas.example"]
    assert mail["Subject"] == "Portal SOP: 1 pekerjaan untuk Anda (1 terlambat)"
    text = mail.get_body(("plain",)).get_content()
    page = mail.get_body(("html",)).get_content()
    assert "TERLAMBAT (1)" in text and link in text
    assert f'href="{link}"' in page
    again = run("notify", "--json", url=url)
    assert again.returncode == 0 and json.loads(again.stdout) == [] and len(smtp.messages) == 1

    # Something new for the Kepala Dinas and the Kasi: each gets one more message, with only the new entry.
    rev = act(db, "adi", lambda s, a, *x: revisions.save_draft(s, a, *x).id, three_step_sop(), "SOP baru")
    act(db, "adi", revisions.submit, rev)
    _kasi_step(db, now=T0 + dt.timedelta(minutes=1), second=True)
    assert run("notify", url=url).returncode == 0
    later = smtp.messages[1:]
    assert sorted(m["To"].addresses[0].addr_spec for m in later) == ["dewi@dinas.example", "hendra@dinas.example"]
    dewi = next(m for m in later if m["To"].addresses[0].addr_spec == "dewi@dinas.example")
    assert dewi["Subject"].startswith("Portal SOP: 1 pekerjaan")


def test_a_user_who_turned_the_digest_off_gets_none(db, smtp):
    _kasi_step(db)
    act(db, "dewi", ringkasan.set_subscribed, False)
    with db() as s:
        assert ringkasan.pending(s) == []
        assert s.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == "atur_ringkasan"


def test_an_unreachable_smtp_server_exits_2_in_indonesian_and_loses_nothing(db, smtp, monkeypatch, ready_db):
    _kasi_step(db)
    url = ready_db
    monkeypatch.setenv("PORTAL_SMTP_PORT", str(_free_port()))  # nobody listens there
    failed = run("notify", url=url)
    assert failed.returncode == 2
    assert "tidak dapat dihubungi" in failed.stderr and "tidak ada yang hilang" in failed.stderr
    with db() as s:
        assert s.scalars(select(InboxMark)).all() == []
    monkeypatch.undo()
    monkeypatch.setenv("PORTAL_SMTP_HOST", "")
    assert "PORTAL_SMTP_HOST" in run("notify", url=url).stderr


# --- Lupa kata sandi ---------------------------------------------------------------------------------------
def _request(db, who_, address="10.0.0.9", now=None):
    with db.begin() as s:
        msg = reset.request(s, who_, address, now)
    if msg is not None:
        surel.send(msg)
    return msg


def _link_token(mail) -> str:
    link = re.search(r"https://portal\.dinas\.example/\?reset=\S+", mail.get_body(("plain",)).get_content())
    assert link, "no reset link in the e-mail"
    return urllib.parse.parse_qs(urllib.parse.urlparse(link.group(0)).query)["reset"][0]


def test_the_reset_link_works_once_ends_every_session_and_fails_after_use(db, smtp):
    with db.begin() as s:
        other = accounts.authenticate(s, "dewi", "sandi-dewi-123", "10.0.0.1")
    assert other.ok
    _request(db, "dewi@dinas.example")
    assert len(smtp.messages) == 1 and smtp.messages[0]["To"].addresses[0].addr_spec == "dewi@dinas.example"
    token = _link_token(smtp.messages[0])
    with db() as s:
        assert s.scalar(select(func.count(PasswordReset.id))) == 1
        stored = s.scalars(select(PasswordReset.id)).all()
        assert token not in stored and reset.token_id(token) in stored  # only the hash is kept
    with pytest.raises(accounts.AccountError, match="minimal"):
        act_anon(db, reset.reset, token, "pendek")  # a refused password leaves the link usable
    assert act_anon(db, reset.reset, token, "sandi-baru-dewi-1") == reset.Outcome("dewi")
    with db.begin() as s:
        assert accounts.authenticate(s, "dewi", "sandi-baru-dewi-1", "10.0.0.1").ok
        assert sessions.check(s, other.token).reason == sessions.KATA_SANDI  # the other session ended
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.action.in_(
            ["minta_atur_ulang_sandi", "atur_ulang_sandi_surel"])).order_by(AuditEntry.id)).all()
        assert actions == ["minta_atur_ulang_sandi", "atur_ulang_sandi_surel"]
    assert act_anon(db, reset.reset, token, "sandi-lain-dewi-2") == reset.Outcome(None, reset.INVALID)
    with db() as s:
        assert s.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == "tautan_sandi_ditolak"


def test_the_reset_link_fails_after_30_minutes(db, smtp):
    then = dt.datetime.now(dt.timezone.utc)
    _request(db, "dewi", now=then)
    token = _link_token(smtp.messages[0])
    with db() as s:
        assert reset.username_of(s, token, then + dt.timedelta(minutes=29)) == "dewi"
    late = act_anon(db, reset.reset, token, "sandi-baru-dewi-1", now=then + dt.timedelta(minutes=31))
    assert not late.ok and "30 menit" in late.message
    with db.begin() as s:
        assert accounts.authenticate(s, "dewi", "sandi-dewi-123", "10.0.0.1").ok  # the password did not change


def test_the_answer_is_the_same_whether_or_not_the_account_exists_and_requests_are_throttled(db, smtp):
    for name in ("tidak-ada", "tanpa", "nobody@dinas.example"):  # unknown, no e-mail, unknown address
        assert _request(db, name) is None
    assert smtp.messages == []
    with db() as s:
        details = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "minta_atur_ulang_sandi")).all()
    assert len(details) == 3 and all(d.startswith("tidak dikirim") for d in details)
    sent = [_request(db, "dewi", address="10.0.0.7") for _ in range(8)]
    assert sum(m is not None for m in sent) == 5  # then held back: the delay doubles per request
    assert len(smtp.messages) == 5


def act_anon(db, fn, *args, **kwargs):
    with db.begin() as s:
        return fn(s, *args, **kwargs)


def test_a_reset_uses_up_the_accounts_other_open_links(db, smtp):
    _request(db, "dewi")
    _request(db, "dewi")
    first, second = (_link_token(m) for m in smtp.messages)
    assert act_anon(db, reset.reset, second, "sandi-baru-dewi-1").ok
    assert not act_anon(db, reset.reset, first, "sandi-baru-dewi-2").ok  # the older link died with the reset


# --- the demo ------------------------------------------------------------------------------------------
def test_the_demo_kasi_has_an_overdue_and_a_due_soon_step_and_the_dry_run_lists_them(ready_db):
    from lib.setup import demo_kotak

    factory = session_factory(ready_db)
    with factory.begin() as s:
        assert accounts.ensure_demo_users(s)
        assert demo_kotak.seed(s) == 2
    dry = run("notify", "--dry-run", "--json", url=ready_db)
    assert dry.returncode == 0, dry.stderr
    kasi = {d["username"]: d for d in json.loads(dry.stdout)}["kasi"]
    assert kasi["email"] == "kasi@portal-sop.example"
    assert sorted(i["status"] for i in kasi["items"]) == ["segera", "terlambat"]
    assert all(i["jenis"] == "langkah" and i["halaman"].startswith("/berkas?id=") for i in kasi["items"])
    with factory() as s:
        assert s.scalars(select(InboxMark)).all() == []  # a dry run records nothing


def test_a_desa_letter_past_its_deadline_waits_for_the_cohorts_staff_until_the_answer_is_recorded(db):
    from lib.rentan import desa as rentan
    from lib.rentan import kohort

    today = dt.date(2026, 11, 23)
    now = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.timezone.utc)
    with db.begin() as s:
        rentan.seed_demo(s)
        assert kohort.seed_demo(s, today=today)  # Jatiharjo's answer is overdue, Karang Dalo's is not yet
        kid = kohort.all_kohort(s)[0].id
    with db() as s:
        letters = [e for e in kotak.entries(s, who(db, "rina"), now) if e.jenis == "surat_desa"]
        assert [(e.judul.split(":")[0], e.status) for e in letters] == [("Desa jatiharjo", "terlambat")]
        assert not [e for e in kotak.entries(s, who(db, "dewi"), now) if e.jenis == "surat_desa"]  # not hers
    act(db, "rina", kohort.record_answer, kid, "jatiharjo", today, "dijawab lewat telepon")
    with db() as s:
        assert not [e for e in kotak.entries(s, who(db, "rina"), now) if e.jenis == "surat_desa"]


def test_a_file_sent_back_to_an_earlier_step_comes_back_to_its_holder_as_returned(db):
    view = act(db, "rina", cases.open_case, "rekomendasi-paspor", "Sari", None, None, now=T0)
    view = act(db, "rina", cases.complete_step, view.id, 1, view.version, now=T0)
    with db() as s:
        assert [e.jenis for e in kotak.entries(s, who(db, "hendra"), T0)] == ["langkah"]
    act(db, "hendra", cases.complete_step, view.id, 2, view.version, outcome="tidak", note="Tanpa surat pemohon.",
        now=T0)
    with db() as s:
        back = kotak.entries(s, who(db, "rina"), T0)
        assert [(e.jenis, e.kunci) for e in back] == [("dikembalikan", f"langkah:{view.id}:1:2")]
        assert kotak.KINDS[back[0].jenis] == "Berkas kembali kepada Anda"
        assert kotak.entries(s, who(db, "hendra"), T0) == []


def test_the_digest_tells_an_entry_again_only_when_its_status_rose(db):
    _kasi_step(db)  # the Kasi's paraf: 5 working minutes from T0
    seen = []
    for minutes in (1, 2, 3, 4, 6, 7):
        now = T0 + dt.timedelta(minutes=minutes)
        with db.begin() as s:
            due = [d for d in ringkasan.pending(s, now) if d.username == "dewi"]
            seen.append([e.status for d in due for e in d.items])
            for d in due:
                kotak.mark_sent(s, d.user_id, list(d.items), now)
    assert seen == [["baru"], [], ["segera"], [], ["terlambat"], []]


def test_an_entry_opened_in_the_inbox_is_no_news_to_the_digest_until_it_is_due_soon(db):
    view = _kasi_step(db)
    act(db, "dewi", kotak.mark_read, f"langkah:{view.id}:4:1")
    with db() as s:
        assert ringkasan.pending(s, T0 + dt.timedelta(minutes=1)) == []
        assert [e.status for d in ringkasan.pending(s, T0 + dt.timedelta(minutes=3)) for e in d.items] == ["segera"]
