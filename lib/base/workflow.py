"""One workflow mechanism for everything that has a state (as Plone's DCWorkflow).

Every type of object with a state has one declarative table in ``data/workflows/<type>.yaml``: its states
with Indonesian labels, its transitions (from which states, to which state, the permission each needs, a
named guard, whether a comment is required, the audit action), readable without Python. Then:

* :func:`transition` is the only way a state changes: it checks the permission on the object's scope, the
  source state and the guard, moves the state with optimistic locking (the UPDATE applies only while the
  state, and the object's ``version`` where it has one, are what the caller read: of two people moving the
  same object exactly one succeeds, the other is told who did it and when), and writes the history row and
  the audit entry in the caller's transaction. It then emits one :class:`Event` to every subscriber.
* :func:`create` gives a new object its first state the same way (a transition from ``~``, no state).
* :func:`available` answers "what can I do here?": the transitions an actor may take on an object now;
  pages draw their buttons from it.
* :func:`history` reads an object's history, oldest first.

Subdomain packages declare their object types with :func:`register` (the model, how to find its scope and
how the audit log names it) and their guards with :func:`guard`; this module imports none of them.
``actor`` None is the server's own shell or set-up (``python -m lib``, the catalogue loader), acting as the
system: it needs no permission, but transitions marked ``hanya_sistem`` are refused to everyone else.
``docs/workflows.md`` is generated from the tables (:func:`docs_markdown`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lib.base import audit, fmt
from lib.base.db import ROOT, User, WorkflowHistory, utcnow
from lib.base.errors import UserError
from lib.base.permissions import PERMISSIONS, Actor, PermissionDenied, grant_for, has_permission

WORKFLOW_DIR = ROOT / "data" / "workflows"
NEW = None  # the "state" of an object that does not exist yet (``~`` in the tables)


class WorkflowError(UserError):
    """A transition that cannot be taken now (wrong state, a guard, a missing comment); nothing was changed."""


class Conflict(WorkflowError):
    """Someone else moved the object first; the message says who and when."""


# --- the tables -----------------------------------------------------------------------------------------------
class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Transition(_Table):
    """One transition of a workflow table."""
    name: str = ""
    label: str
    sources: tuple[str | None, ...] = Field(alias="dari", min_length=1)
    target: str = Field(alias="ke")
    permissions: tuple[str, ...] = Field(default=(), alias="izin")
    guard: str | None = Field(default=None, alias="syarat")
    comment: Literal["wajib", "boleh", "tidak"] = Field(default="boleh", alias="komentar")
    comment_prompt: str = Field(default="Tulis komentar untuk langkah ini.", alias="pesan_komentar")
    system_only: bool = Field(default=False, alias="hanya_sistem")
    button: bool = Field(default=True, alias="tombol")
    audit_action: str = Field(alias="audit")

    @model_validator(mode="before")
    @classmethod
    def _one_permission(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("izin"), str):
            data = {**data, "izin": [data["izin"]]}
        return data

    @model_validator(mode="after")
    def _checked(self) -> "Transition":
        if not self.permissions and not self.system_only:
            raise ValueError("setiap transisi butuh izin (atau hanya_sistem: true)")
        unknown = [p for p in self.permissions if p not in PERMISSIONS]
        if unknown:
            raise ValueError(f"izin tidak dikenal: {', '.join(unknown)}")
        if self.audit_action not in audit.ACTIONS:
            raise ValueError(f"aksi audit “{self.audit_action}” tidak ada di lib/base/audit.py")
        return self

    @property
    def creates(self) -> bool:
        return NEW in self.sources


class Workflow(_Table):
    """The table of one object type."""
    object_type: str = Field(alias="jenis_objek")
    title: str = Field(alias="nama")
    states: dict[str, str] = Field(alias="keadaan", min_length=1)
    guards: dict[str, str] = Field(default_factory=dict, alias="syarat")
    transitions: dict[str, Transition] = Field(alias="transisi", min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _names(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("transisi"), dict):
            data = {**data, "transisi": {k: {**v, "name": k} for k, v in data["transisi"].items()}}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> "Workflow":
        for t in self.transitions.values():
            for state in (*t.sources, t.target):
                if state is not NEW and state not in self.states:
                    raise ValueError(f"transisi {t.name}: keadaan “{state}” tidak ada di daftar keadaan")
            if t.guard and t.guard not in self.guards:
                raise ValueError(f"transisi {t.name}: syarat “{t.guard}” tidak diterangkan di bagian syarat")
        return self

    def label(self, state: str | None) -> str:
        return "(baru)" if state is NEW else self.states.get(state, state)


def _load_file(path: Path) -> Workflow:
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it
        return Workflow.model_validate(yaml.load(path.read_text(encoding="utf-8"), Loader=loader))  # noqa: S506
    except (yaml.YAMLError, ValidationError) as err:
        raise WorkflowError(f"Tabel alur kerja {path.name} tidak sah: {err}") from err


@lru_cache(maxsize=4)
def tables(directory: Path = WORKFLOW_DIR) -> dict[str, Workflow]:
    """Every workflow table, by object type (read once per process)."""
    out = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        wf = _load_file(path)
        if wf.object_type != path.stem:
            raise WorkflowError(f"{path.name}: jenis_objek harus “{path.stem}”, tertulis “{wf.object_type}”")
        out[wf.object_type] = wf
    return out


def table(object_type: str) -> Workflow:
    try:
        return tables()[object_type]
    except KeyError:
        raise KeyError(f"no workflow table for {object_type!r} in data/workflows") from None


# --- object types and guards, declared by the subdomains --------------------------------------------------
@dataclass(frozen=True)
class ObjectType:
    """How the mechanism reads one kind of object: its model, scope and the audit log's name for it."""
    name: str
    model: type
    #: the scopes a permission may be held on for this object (None: only a global grant counts)
    scopes: Callable[[Session, Any], tuple[str | None, ...]] = lambda session, obj: (None,)
    #: (object_type, object_id) the audit entry names; default: the type name and the object's id
    audit_target: Callable[[Any], tuple[str, Any]] | None = None
    #: a short text for the audit entry's detail when the caller gives none
    describe: Callable[[Any], str] = lambda obj: ""
    state_attr: str = "state"
    #: what a refusal (wrong state, guard, missing comment) and a lost race raise: the subdomain's own
    #: user-error classes, so its callers catch what they always caught
    error: type[UserError] = WorkflowError
    conflict: type[UserError] = Conflict
    #: False where the subdomain locks the object's ``version`` itself in the same transaction (the case
    #: engine): the mechanism then compares the state alone and leaves ``version`` to it
    versioned: bool = True


_TYPES: dict[str, ObjectType] = {}
_BY_MODEL: dict[type, ObjectType] = {}
#: guard name -> check(session, actor, obj, context) returning None when it holds, else an Indonesian reason
_GUARDS: dict[str, Callable[..., str | None]] = {}
_SUBSCRIBERS: list[Callable[["Event"], None]] = []


def register(object_type: ObjectType) -> ObjectType:
    """Declare an object type (its table must exist in ``data/workflows``)."""
    table(object_type.name)
    _TYPES[object_type.name] = object_type
    _BY_MODEL[object_type.model] = object_type
    return object_type


def guard(name: str):
    """Decorator: the function checking the named guard of a table."""
    def wrap(fn: Callable[..., str | None]) -> Callable[..., str | None]:
        _GUARDS[name] = fn
        return fn
    return wrap


def registered_guards() -> set[str]:
    return set(_GUARDS)


def subscribe(fn: Callable[["Event"], None]) -> Callable[["Event"], None]:
    """Call ``fn(event)`` after every transition, in the same transaction (inbox, e-mail, delegation...)."""
    if fn not in _SUBSCRIBERS:
        _SUBSCRIBERS.append(fn)
    return fn


def unsubscribe(fn: Callable[["Event"], None]) -> None:
    if fn in _SUBSCRIBERS:
        _SUBSCRIBERS.remove(fn)


def type_of(obj) -> ObjectType:
    try:
        return _BY_MODEL[type(obj)]
    except KeyError:
        raise KeyError(f"{type(obj).__name__} is not a registered workflow object") from None


@dataclass(frozen=True)
class Event:
    """One transition taken: what moved, from where to where, by whom, with which comment."""
    object_type: str
    object_id: str
    transition: str
    from_state: str | None
    to_state: str
    actor: Actor | None
    comment: str | None
    at: dt.datetime
    context: dict = field(default_factory=dict)
    #: the caller's session, for a subscriber that writes in the same transaction
    session: Session | None = field(default=None, compare=False, repr=False)


# --- checking -----------------------------------------------------------------------------------------------
def _permitted(session: Session, actor: Actor | None, kind: ObjectType, obj, t: Transition) -> bool:
    if actor is None:
        return True
    if t.system_only:
        return False
    scopes = kind.scopes(session, obj)
    return any(has_permission(actor, p, s) for p in t.permissions for s in scopes)


def _require(session: Session, actor: Actor | None, kind: ObjectType, obj, t: Transition) -> Actor | None:
    """Check the permission; returns the actor as they act here: with the Plh capacity when only a grant held
    as Plh (lib/base/delegation.py) permits the transition."""
    if not _permitted(session, actor, kind, obj, t):
        scopes = [s for s in kind.scopes(session, obj) if s]
        raise PermissionDenied(actor, t.permissions[0] if t.permissions else t.name, scopes[0] if scopes else None)
    if actor is None or actor.capacity:
        return actor
    grants = [g for p in t.permissions for s in kind.scopes(session, obj) if (g := grant_for(actor, p, s))]
    return actor if any(g.via is None for g in grants) else actor.acting(grants[0] if grants else None)


def _guard_reason(session: Session, actor: Actor | None, obj, t: Transition, context: dict) -> str | None:
    if not t.guard:
        return None
    check = _GUARDS.get(t.guard)
    if check is None:
        raise KeyError(f"guard {t.guard!r} has no implementation (workflow.guard)")
    return check(session, actor, obj, context)


def _transition(wf: Workflow, name: str) -> Transition:
    t = wf.transitions.get(name)
    if t is None:
        raise KeyError(f"{wf.object_type} has no transition {name!r}")
    return t


def available(session: Session, actor: Actor | None, obj, *, buttons_only: bool = True,
              context: dict | None = None) -> list[Transition]:
    """The transitions ``actor`` may take on ``obj`` now (permission, state and guard all hold), in table order;
    with ``buttons_only`` the internal ones (``tombol: false``) are left out."""
    kind = type_of(obj)
    wf = table(kind.name)
    state = getattr(obj, kind.state_attr)
    return [t for t in wf.transitions.values()
            if state in t.sources and not t.creates and (t.button or not buttons_only)
            and _permitted(session, actor, kind, obj, t)
            and _guard_reason(session, actor, obj, t, context or {}) is None]


def permitted(actor: Actor | None, object_type: str, state: str | None, scopes: tuple[str | None, ...] = (None,),
              buttons_only: bool = True) -> list[str]:
    """The transitions the table lets ``actor`` take from ``state`` (``None``: creating the object) by permission
    alone (guards not checked): for a page that holds a plain view of the object rather than the object itself."""
    out = []
    for t in table(object_type).transitions.values():
        if state not in t.sources or (buttons_only and not t.button):
            continue
        if actor is None or (not t.system_only
                             and any(has_permission(actor, p, sc) for p in t.permissions for sc in scopes)):
            out.append(t.name)
    return out


def may(session: Session, actor: Actor | None, obj, name: str, context: dict | None = None) -> bool:
    """Whether ``actor`` may take transition ``name`` on ``obj`` now."""
    return any(t.name == name for t in available(session, actor, obj, buttons_only=False, context=context))


# --- moving ---------------------------------------------------------------------------------------------------
def _comment(kind: ObjectType, t: Transition, comment: str | None) -> str | None:
    text = (comment or "").strip() or None
    if t.comment == "wajib" and not text:
        raise kind.error(t.comment_prompt)
    return text[:2000] if text and t.comment != "tidak" else None


def _record(session: Session, actor: Actor | None, kind: ObjectType, obj, t: Transition, old: str | None,
            comment: str | None, detail: str | None, now: dt.datetime, context: dict) -> Event:
    object_id = str(obj.id)
    session.add(WorkflowHistory(object_type=kind.name, object_id=object_id, from_state=old, to_state=t.target,
                                actor_id=actor.user_id if actor else None, at=now, comment=comment,
                                capacity=actor.capacity if actor else None))
    target_type, target_id = kind.audit_target(obj) if kind.audit_target else (kind.name, obj.id)
    audit.record(session, actor, t.audit_action, target_type, target_id,
                 detail if detail is not None else kind.describe(obj),
                 **({} if actor else {"username": "sistem"}))
    event = Event(kind.name, object_id, t.name, old, t.target, actor, comment, now, dict(context), session)
    for fn in list(_SUBSCRIBERS):
        fn(event)
    return event


def _creating(kind: ObjectType, name: str) -> Transition:
    t = _transition(table(kind.name), name)
    if not t.creates:
        raise KeyError(f"{kind.name}.{name} does not create an object")
    return t


def create(session: Session, actor: Actor | None, obj, name: str, *, comment: str | None = None,
           detail: str | None = None, now: dt.datetime | None = None, record: bool = True,
           context: dict | None = None) -> Event | None:
    """Give the new ``obj`` its first state by transition ``name`` (one from ``~``), add and flush it, and
    write its history row and audit entry. ``record=False`` is for rows made in bulk by an action that
    writes its own single audit entry (no history row and no event then)."""
    kind = type_of(obj)
    t = _creating(kind, name)
    actor = _require(session, actor, kind, obj, t)
    context = context or {}
    reason = _guard_reason(session, actor, obj, t, context)
    if reason:
        raise kind.error(reason)
    text = _comment(kind, t, comment)
    setattr(obj, kind.state_attr, t.target)
    session.add(obj)
    session.flush()
    if not record:
        return None
    return _record(session, actor, kind, obj, t, NEW, text, detail, now or utcnow(), context)


def create_many(session: Session, actor: Actor | None, objs: list, name: str) -> None:
    """Give many new objects of one type their first state by transition ``name`` and flush them once: rows
    made in bulk by an action that writes its own single audit entry (no history rows, no events)."""
    if not objs:
        return
    kind = type_of(objs[0])
    t = _creating(kind, name)
    for obj in objs:
        _require(session, actor, kind, obj, t)
        setattr(obj, kind.state_attr, t.target)
    session.add_all(objs)
    session.flush()


def bulk_state(object_type: str, name: str) -> str:
    """The state rows inserted in bulk by the system take through the creating, system-only transition ``name``
    (the demo history, written as plain rows for speed): like :func:`create_many`, without history rows."""
    t = _transition(table(object_type), name)
    if not (t.creates and t.system_only):
        raise KeyError(f"{object_type}.{name} is not a system-only creating transition")
    return t.target


def _who_moved(session: Session, kind: ObjectType, obj) -> str:
    last = session.execute(select(WorkflowHistory, User.name).outerjoin(User, User.id == WorkflowHistory.actor_id)
                           .where(WorkflowHistory.object_type == kind.name, WorkflowHistory.object_id == str(obj.id))
                           .order_by(WorkflowHistory.at.desc(), WorkflowHistory.id.desc()).limit(1)).first()
    state = session.execute(select(getattr(kind.model, kind.state_attr)).where(kind.model.id == obj.id)).scalar()
    wf = table(kind.name)
    if last is None:
        return f"{wf.title} ini baru saja diubah orang lain (sekarang: {wf.label(state)}). Muat ulang halaman."
    h, name = last
    return (f"{wf.title} ini sudah diubah oleh {name or 'sistem'} pada {fmt.waktu(h.at)} "
            f"(sekarang: {wf.label(state)}). Muat ulang halaman.")


def transition(session: Session, actor: Actor | None, obj, name: str, *, comment: str | None = None,
               detail: str | None = None, now: dt.datetime | None = None,
               context: dict | None = None) -> Event:
    """Take transition ``name`` on ``obj`` (see the module docstring). ``detail`` is the audit entry's text
    (default: the object type's description); ``context`` goes to the guard and the event."""
    kind = type_of(obj)
    wf = table(kind.name)
    t = _transition(wf, name)
    if t.creates and len(t.sources) == 1:
        raise KeyError(f"{kind.name}.{name} creates an object: use workflow.create")
    actor = _require(session, actor, kind, obj, t)
    old = getattr(obj, kind.state_attr)
    if old not in t.sources:
        raise kind.error(f"{t.label} tidak dapat dilakukan: {wf.title.lower()} ini {wf.label(old).lower()}.")
    context = context or {}
    reason = _guard_reason(session, actor, obj, t, context)
    if reason:
        raise kind.error(reason)
    text = _comment(kind, t, comment)
    now = now or utcnow()
    model = kind.model
    state_col = getattr(model, kind.state_attr)
    values: dict[str, Any] = {kind.state_attr: t.target}
    stmt = update(model).where(model.id == obj.id, state_col == old)
    has_version = kind.versioned and hasattr(model, "version")
    if has_version:
        stmt = stmt.where(model.version == obj.version)
        values["version"] = obj.version + 1
    if hasattr(model, "updated_at"):
        values["updated_at"] = now
    session.flush()
    result = session.execute(stmt.values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise kind.conflict(_who_moved(session, kind, obj))
    for attr, value in values.items():
        set_committed_value(obj, attr, value)
    return _record(session, actor, kind, obj, t, old, text, detail, now, context)


# --- reading --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    actor: str | None
    from_state: str | None
    to_state: str
    comment: str | None
    #: "Plh. <jabatan>, <deputy> a.n. <delegator>" when the actor acted as Plh
    capacity: str | None = None

    @property
    def who(self) -> str:
        return self.capacity or self.actor or "sistem"


def history(session: Session, object_type: str, object_id) -> list[HistoryEntry]:
    """Every move of one object, oldest first, with the actor's name (None for the system)."""
    rows = session.execute(select(WorkflowHistory, User.name).outerjoin(User, User.id == WorkflowHistory.actor_id)
                           .where(WorkflowHistory.object_type == object_type,
                                  WorkflowHistory.object_id == str(object_id))
                           .order_by(WorkflowHistory.at, WorkflowHistory.id)).all()
    return [HistoryEntry(h.at, name, h.from_state, h.to_state, h.comment, h.capacity) for h, name in rows]


def state_label(object_type: str, state: str | None) -> str:
    return table(object_type).label(state)


# --- docs/workflows.md ----------------------------------------------------------------------------------------
def _holders(t: Transition) -> str:
    from lib.base.permissions import ROLE_PERMISSIONS, SCOPED_ROLES
    from lib.base.roles import ROLES

    if t.system_only:
        return "sistem saja"
    roles = [ROLES[r] + (f" (per {SCOPED_ROLES[r]})" if r in SCOPED_ROLES else "")
             for r, perms in ROLE_PERMISSIONS.items() if any(p in perms for p in t.permissions)]
    return ", ".join(roles) or "—"


def _diagram(wf: Workflow) -> list[str]:
    lines = ["```mermaid", "stateDiagram-v2"]
    for t in wf.transitions.values():
        for s in t.sources:
            lines.append(f"    {'[*]' if s is NEW else s} --> {t.target}: {t.name}")
    return lines + ["```"]


def docs_markdown() -> str:
    """``docs/workflows.md``: every table as text and as a state diagram (a test fails when it is stale)."""
    out = ["# Alur kerja (workflows)", "",
           "Generated from `data/workflows/*.yaml` by `python -m lib workflow docs --output docs/workflows.md`;",
           "`tests/test_workflow.py` fails when this page falls behind the tables. Every change of state goes",
           "through one mechanism, `lib/base/workflow.py`: it checks the permission on the object's scope, the",
           "source state and the guard (*syarat*), moves the state with optimistic locking, and writes the history",
           "row and the audit entry in the same transaction. `~` is an object that does not exist yet; a",
           "transition marked *(otomatis)* is taken by the portal as part of another action, never as a button.",
           ""]
    for wf in tables().values():
        out += [f"## {wf.title} (`{wf.object_type}`)", "", "| keadaan | label |", "|---|---|"]
        out += [f"| `{k}` | {v} |" for k, v in wf.states.items()]
        out += ["", "| transisi | dari | ke | izin | dapat dilakukan oleh | syarat | komentar | audit |",
                "|---|---|---|---|---|---|---|---|"]
        for t in wf.transitions.values():
            sources = ", ".join("~" if s is NEW else f"`{s}`" for s in t.sources)
            perms = ", ".join(f"`{p}`" for p in t.permissions) or "—"
            extra = "" if t.button else " (otomatis)"
            out.append(f"| `{t.name}` {t.label}{extra} | {sources} | `{t.target}` | {perms} | {_holders(t)} | "
                       f"{f'`{t.guard}`' if t.guard else '—'} | {t.comment} | `{t.audit_action}` |")
        if wf.guards:
            out += ["", "Syarat:", ""] + [f"- `{k}`: {v}" for k, v in wf.guards.items()]
        out += [""] + _diagram(wf) + [""]
    return "\n".join(out)
