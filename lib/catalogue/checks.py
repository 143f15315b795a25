"""The checks an SOP revision must pass before it is stored as a draft, submitted or approved.

The model (:mod:`lib.catalogue.model`) accepts a step whose text is empty and judges one problem at a time.
A revision made in the editor's grid needs more: every step says what is done and who does it (a new grid
row starts with no executor, and none is assumed), every decision branch leads to a step that exists (or
``selesai``), and a step keeps a target (mutu baku) where the revision in force has one for it. Every
problem found is listed at once, each naming the step number and the field.

:func:`check` is the one entry: the revision's content (a mapping, as stored) and the revision in force,
or ``None`` for a new SOP. A step of the new revision is the same step as one in force when it carries the
same ``tahap``, else the same activity text, else the same number when the activity in force at that
number is no longer in the revision (reworded in place); a step inserted between others is a new step.
"""
from __future__ import annotations

from lib.base.errors import UserError
from lib.catalogue import model as catalog


class StepProblem(UserError):
    """One problem of one step: its number and the field, in an Indonesian sentence. The sentence quotes no
    text a person typed (only numbers, field names and a target the mutu baku parser accepted), so a page may
    show it as Markdown as it is."""

    def __init__(self, step: int, field: str, message: str):
        super().__init__(f"Langkah {step}: {message}")
        self.step, self.field = step, field


class EmptyActivity(StepProblem):
    """The step says nothing of what is done."""

    def __init__(self, step: int):
        super().__init__(step, "kegiatan", "kegiatan kosong.")


class NoActor(StepProblem):
    """No executor was chosen for the step (none is assumed)."""

    def __init__(self, step: int):
        super().__init__(step, "pelaksana", "pelaksana belum dipilih.")


class BranchToMissingStep(StepProblem):
    """A decision branch leads nowhere: no target, or a step number the revision does not have."""

    def __init__(self, step: int, branch: str, target: object, steps: int):
        text = "" if target is None else str(target).strip()
        if not text:
            why = "belum menunjuk langkah"
        elif _as_step(target) is None:
            why = "tidak menunjuk nomor langkah"
        else:
            why = f"menunjuk langkah {text}, yang tidak ada (revisi ini {steps} langkah)"
        super().__init__(step, f"keputusan.{branch}.ke",
                         f"cabang “{branch}” {why}; isi nomor langkah 1–{steps} atau “{catalog.END}”.")
        self.branch, self.target = branch, target


class DroppedTarget(StepProblem):
    """The step has no target (waktu) while the same step in force has one."""

    def __init__(self, step: int, previous: catalog.Langkah, revision_no: int | None):
        where = f"revisi berlaku{f' (revisi {revision_no})' if revision_no else ''}"
        super().__init__(step, "waktu", f"waktu (mutu baku) kosong, padahal {where} menetapkan “{previous.waktu}” "
                                        f"untuk langkah ini (langkah {previous.no} di revisi itu). Isi targetnya.")
        self.previous = previous


class RevisionRefused(catalog.CatalogError):
    """The revision has one or more step problems; ``problems`` lists them, the message names every one."""

    def __init__(self, problems: list[StepProblem], action: str = "disimpan"):
        super().__init__(f"Revisi belum dapat {action}:\n" + "\n".join(f"- {p}" for p in problems))
        self.problems = problems


def _text(value: object) -> str:
    """A cell or field as text: nothing (None, an empty grid cell's NaN) is empty."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _norm(value: object) -> str:
    return " ".join(_text(value).lower().split())


def _as_step(target: object) -> int | None:
    if isinstance(target, bool):
        return None
    if isinstance(target, int):
        return target
    if isinstance(target, float) and target == target and target.is_integer():
        return int(target)
    text = _text(target)
    return int(text) if text.isdigit() else None


def _branch_problems(i: int, step: dict, count: int) -> list[StepProblem]:
    decision = step.get("keputusan")
    if not isinstance(decision, dict):
        return []
    out = []
    for branch in ("ya", "tidak"):
        target = (decision.get(branch) or {}).get("ke") if isinstance(decision.get(branch), dict) else None
        if _text(target).lower() == catalog.END:
            continue
        number = _as_step(target)
        if number is None or not 1 <= number <= count:
            out.append(BranchToMissingStep(i, branch, target, count))
    return out


def _same_steps(steps: list[dict], in_force: catalog.SOP) -> dict[int, catalog.Langkah]:
    """Step number in the new revision -> the same step in force (see the module's docstring)."""
    by_stage = {s.tahap: s for s in in_force.langkah if s.tahap}
    by_text: dict[str, list[catalog.Langkah]] = {}
    for s in in_force.langkah:
        by_text.setdefault(_norm(s.kegiatan), []).append(s)
    texts = {_norm(s.get("kegiatan")) for s in steps}
    out = {}
    for i, step in enumerate(steps, start=1):
        stage, text = step.get("tahap"), _norm(step.get("kegiatan"))
        if stage and stage in by_stage:
            out[i] = by_stage[stage]
        elif text and by_text.get(text):
            out[i] = by_text[text].pop(0)
        elif i <= len(in_force.langkah) and _norm(in_force.langkah[i - 1].kegiatan) not in texts:
            out[i] = in_force.langkah[i - 1]
    return out


def problems(data: dict, in_force: catalog.SOP | None = None,
             in_force_no: int | None = None) -> list[StepProblem]:
    """Every step problem of the content ``data`` (empty for a document that is not an SOP)."""
    steps = data.get("langkah") if isinstance(data, dict) and data.get("jenis") == "sop" else None
    if not isinstance(steps, list):
        return []
    steps = [s if isinstance(s, dict) else {} for s in steps]
    same = _same_steps(steps, in_force) if isinstance(in_force, catalog.SOP) else {}
    out: list[StepProblem] = []
    for i, step in enumerate(steps, start=1):
        if not _text(step.get("kegiatan")):
            out.append(EmptyActivity(i))
        if not _text(step.get("pelaksana")):
            out.append(NoActor(i))
        out += _branch_problems(i, step, len(steps))
        previous = same.get(i)
        if previous is not None and previous.waktu.strip() and not _text(step.get("waktu")):
            out.append(DroppedTarget(i, previous, in_force_no))
    return out


def check(data: dict | catalog.SOP | catalog.StandarPelayanan, in_force: catalog.SOP | catalog.StandarPelayanan | None,
          source: str = "Isian SOP", action: str = "disimpan", in_force_no: int | None = None,
          ) -> catalog.SOP | catalog.StandarPelayanan:
    """The document of ``data`` when it passes; :class:`RevisionRefused` listing every step problem, or the
    model's :class:`~lib.catalogue.model.CatalogError`, when it does not."""
    if not isinstance(data, dict):
        data = catalog.to_data(data)
    found = problems(data, in_force if isinstance(in_force, catalog.SOP) else None, in_force_no)
    if found:
        raise RevisionRefused(found, action)
    return catalog.parse_document(data, source)
