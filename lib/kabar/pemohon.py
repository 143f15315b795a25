"""A short e-mail to the applicant when their file is returned (``dikembalikan``: what is still missing) or
finished (``selesai``), when they gave an e-mail address at intake (the form's field ``email`` or
``email_pemohon``).

The messages come from the workflow's history: every case transition into one of those states not told yet.
``python -m lib notify`` sends them after the digests through the same SMTP settings. A cursor (the newest
history row handled, setting ``surel_pemohon``) makes a second run send nothing new, and it moves only past
messages the server accepted: a server that cannot be reached loses nothing. News older than
:data:`FRESH_DAYS` days is not sent any more (a database restored or moved, or a first run, does not mail a
backlog of old files). The message carries the register number, the service and the link to the public
status page — never the NIK.
"""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lib.base import audit, config
from lib.base.db import Case, Setting, WorkflowHistory, utcnow
from lib.casework import status
from lib.casework.cases import sop_of
from lib.kabar import surel

ADDRESS_FIELDS = ("email", "email_pemohon")
STATES = {"dikembalikan": "dikembalikan", "selesai": "selesai diproses"}
FRESH_DAYS = 3
CURSOR = "surel_pemohon"


@dataclass(frozen=True)
class Notice:
    history_id: int
    case_id: int
    register_no: str
    layanan: str
    state: str
    name: str
    address: str
    missing: tuple[str, ...]

    @property
    def subject(self) -> str:
        return f"Berkas {self.register_no} {STATES[self.state]}"

    def as_dict(self) -> dict:
        return {"username": None, "email": self.address, "subject": self.subject,
                "items": [{"berkas": self.register_no, "layanan": self.layanan, "status": self.state,
                           "tautan": status.url(_base(), self.register_no)}]}


def _base() -> str:
    return config.public_url() or config.base_url()


def address_of(case: Case) -> str | None:
    values = (case.data or {}).get("isian") or {}
    for name in ADDRESS_FIELDS:
        value = str(values.get(name) or "").strip()
        if value:
            return value
    return None


def _cursor(session: Session) -> int:
    row = session.get(Setting, CURSOR)
    return int((row.value or {}).get("history_id", 0)) if row is not None else 0


def _move_cursor(session: Session, history_id: int, now: dt.datetime) -> None:
    row = session.get(Setting, CURSOR)
    if row is None:
        session.add(Setting(key=CURSOR, value={"history_id": history_id}, updated_at=now))
    elif history_id > int((row.value or {}).get("history_id", 0)):
        row.value, row.updated_at = {"history_id": history_id}, now


def pending(session: Session, now: dt.datetime | None = None) -> tuple[list[Notice], int]:
    """The messages due now, oldest first, and the newest history row looked at (the cursor's next place)."""
    now = now or utcnow()
    rows = session.execute(select(WorkflowHistory.id, WorkflowHistory.object_id, WorkflowHistory.to_state).where(
        WorkflowHistory.object_type == "case", WorkflowHistory.id > _cursor(session),
        WorkflowHistory.to_state.in_(STATES), WorkflowHistory.at >= now - dt.timedelta(days=FRESH_DAYS))
        .order_by(WorkflowHistory.id)).all()
    if not rows:
        return [], 0
    ids = {int(r.object_id) for r in rows if r.object_id.isdigit()}
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))}
    out = []
    for r in rows:
        case = cases.get(int(r.object_id)) if r.object_id.isdigit() else None
        address = address_of(case) if case is not None else None
        if address is None:
            continue
        missing = tuple((case.data or {}).get("kurang") or ()) if r.to_state == "dikembalikan" else ()
        out.append(Notice(r.id, case.id, case.register_no, sop_of(session, case).nama, r.to_state,
                          case.applicant_name or "Bapak/Ibu", address, missing))
    return out, rows[-1].id


def _text(n: Notice, link: str) -> str:
    lines = [f"Yth. {n.name},", "",
             f"Berkas permohonan {n.layanan} dengan nomor register {n.register_no} {STATES[n.state]}."]
    if n.state == "dikembalikan":
        lines += (["Kelengkapan berikut belum ada:"] + [f"{i}. {m}" for i, m in enumerate(n.missing, start=1)]
                  if n.missing else ["Keterangannya dapat ditanyakan di loket pelayanan."])
        lines.append("Mohon kelengkapan tersebut dibawa ke loket pelayanan dengan menyebutkan nomor register.")
    else:
        lines.append("Silakan datang ke loket pelayanan bila ada dokumen yang perlu diambil.")
    lines += ["", f"Status berkas dapat dilihat di {link} (nomor register dan 4 angka terakhir NIK).", "",
              "Surel ini dikirim otomatis oleh Portal SOP; mohon tidak dibalas."]
    return "\n".join(lines)


def message(settings: surel.SmtpSettings, n: Notice):
    link = status.url(_base(), n.register_no)
    text = _text(n, link)
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    body = body.replace(html.escape(link), f'<a href="{html.escape(link)}">{html.escape(link)}</a>')
    return surel.message(settings, n.name, n.address, n.subject, text, body)


def send(factory: sessionmaker, now: dt.datetime | None = None) -> list[Notice]:
    """Send every pending message; the cursor moves past each one the server accepted, and past the rows
    with no address once all were sent."""
    now = now or utcnow()
    with factory() as session:
        notices, last = pending(session, now)
    if not last:
        return []
    if notices:
        settings = surel.smtp_settings()
        with surel.Connection(settings) as smtp:
            for n in notices:
                smtp.send(message(settings, n))
                with factory.begin() as session:
                    _move_cursor(session, n.history_id, now)
                    audit.record(session, None, "kirim_kabar_pemohon", "case", n.case_id,
                                 f"{n.register_no}: {STATES[n.state]}, surel ke pemohon", username="sistem")
    with factory.begin() as session:
        _move_cursor(session, last, now)
    return notices
