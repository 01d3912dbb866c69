"""What changed between two questionnaire versions (issue 18), read by a quality team.

Works on two snapshots (`services.versions.questionnaire_snapshot`: the export format), question by
question, matched on their stable code. Kinds of change, each with a stable English token (used by
`manage.py diff_versions` and by the analysis' comparability rules) and a French label:

* ``added`` / ``removed``: the question exists in one version only;
* ``reworded``: question text or help changed (word-level diff, FR and EN), or a choice's label;
* ``scale change``: the answer scale changed (e.g. satisfaction 1–5 → scale 0–10, or bounds);
* ``retyped``: another change of question type; ``recoded``: choice codes added, removed, reordered;
* ``condition change`` / ``targeting change``: display condition, categories or channel changed
  (of the question or of its section); ``options change``: required or "don't know" offered.

A scale change, a retyping or a recoding makes the question not comparable across the pair; the
other kinds are for a designer to rule on (BreakDecision).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Mapping

from django.utils.translation import gettext_lazy as _

ADDED, REMOVED, REWORDED, RESCALED = "added", "removed", "reworded", "scale change"
RETYPED, RECODED, CONDITION, TARGETING, OPTIONS = (
    "retyped", "recoded", "condition change", "targeting change", "options change")
#: kinds that make a question not comparable whatever the designer says
BREAKING = frozenset({RESCALED, RETYPED, RECODED})
KIND_LABELS = {
    ADDED: _("question ajoutée"), REMOVED: _("question supprimée"), REWORDED: _("libellé modifié"),
    RESCALED: _("échelle modifiée"), RETYPED: _("type modifié"), RECODED: _("modalités recodées"),
    CONDITION: _("condition d'affichage modifiée"), TARGETING: _("ciblage modifié"),
    OPTIONS: _("options de réponse modifiées"),
}
SCALED_TYPES = {"satisfaction": "1–5", "matrix": "1–5", "scale": "0–10", "nps": "0–10"}


@dataclass
class Change:
    """One change of one question between version a and version b."""

    question: str
    kind: str
    before: str = ""
    after: str = ""
    words: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # lang → [(op, text)]

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def breaking(self) -> bool:
        return self.kind in BREAKING

    def summary(self) -> str:
        """One line: ``CODE: kind: before → after`` (word diffs as [-old-]{+new+})."""
        line = f"{self.question}: {self.kind}"
        if self.words:
            line += "".join(f" [{lang}] {words_text(parts)}" for lang, parts in self.words.items())
        elif self.before or self.after:
            line += f": {self.before or '–'} → {self.after or '–'}"
        return line


def word_diff(a: str, b: str) -> list[tuple[str, str]]:
    """Word-level diff of two texts: [("same"|"del"|"ins", words)], the words joined by spaces."""
    wa, wb = (a or "").split(), (b or "").split()
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", " ".join(wa[i1:i2])))
            continue
        if i2 > i1:
            out.append(("del", " ".join(wa[i1:i2])))
        if j2 > j1:
            out.append(("ins", " ".join(wb[j1:j2])))
    return out


def words_text(parts: list[tuple[str, str]]) -> str:
    return " ".join(t if op == "same" else f"[-{t}-]" if op == "del" else f"{{+{t}+}}" for op, t in parts)


def _questions(snapshot: Mapping[str, Any]) -> dict[str, tuple[dict, dict]]:
    """code → (question, its section) in questionnaire order."""
    return {q["code"]: (q, s) for s in snapshot.get("sections", []) for q in s.get("questions", [])}


def scale_of(q: Mapping[str, Any]) -> str:
    """The answer scale in words: 1–5, 0–10, or the bounds of a number question."""
    if q.get("type") in SCALED_TYPES:
        return f"{q['type']} {SCALED_TYPES[q['type']]}"
    if q.get("type") == "number":
        return f"number {q.get('min_value', '') if q.get('min_value') is not None else ''}–" \
               f"{q.get('max_value') if q.get('max_value') is not None else ''}"
    return str(q.get("type"))


def _texts(q: Mapping, keys: tuple[str, ...]) -> dict[str, str]:
    return {lang: " / ".join(t for k in keys if (t := (q.get(k) or {}).get(lang, ""))) for lang in ("fr", "en")}


def _question_changes(code: str, qa: dict, sa: dict, qb: dict, sb: dict) -> list[Change]:
    out: list[Change] = []
    ta, tb = qa.get("type"), qb.get("type")
    if ta != tb or (ta == "number" and scale_of(qa) != scale_of(qb)) or qa.get("threshold") != qb.get("threshold"):
        scaled = {ta, tb} <= (set(SCALED_TYPES) | {"number"})
        before, after = scale_of(qa), scale_of(qb)
        if qa.get("threshold") != qb.get("threshold"):
            before, after = f"{before} (≥ {qa.get('threshold') or '–'})", f"{after} (≥ {qb.get('threshold') or '–'})"
        out.append(Change(code, RESCALED if scaled else RETYPED, before, after))
    codes_a = [c["code"] for c in qa.get("choices", [])]
    codes_b = [c["code"] for c in qb.get("choices", [])]
    if codes_a != codes_b:
        out.append(Change(code, RECODED, ", ".join(codes_a), ", ".join(codes_b)))
    words: dict[str, list[tuple[str, str]]] = {}
    texts_a, texts_b = _texts(qa, ("text", "help")), _texts(qb, ("text", "help"))
    labels_a = {c["code"]: c["label"] for c in qa.get("choices", [])}
    for c in qb.get("choices", []):
        if c["code"] in labels_a:
            for lang in ("fr", "en"):
                texts_a[lang] += f" | {c['code']}: {labels_a[c['code']].get(lang, '')}"
                texts_b[lang] += f" | {c['code']}: {c['label'].get(lang, '')}"
    for lang in ("fr", "en"):
        if texts_a[lang] != texts_b[lang]:
            words[lang] = word_diff(texts_a[lang], texts_b[lang])
    if words:
        out.append(Change(code, REWORDED, words=words))
    cond_a = (sa.get("condition"), qa.get("condition"))
    cond_b = (sb.get("condition"), qb.get("condition"))
    if cond_a != cond_b:
        out.append(Change(code, CONDITION, _cond_text(cond_a), _cond_text(cond_b)))
    target_a = (sa.get("categories"), qa.get("categories"), qa.get("channel"))
    target_b = (sb.get("categories"), qb.get("categories"), qb.get("channel"))
    if target_a != target_b:
        out.append(Change(code, TARGETING, _target_text(target_a), _target_text(target_b)))
    if (qa.get("required"), qa.get("allow_dont_know")) != (qb.get("required"), qb.get("allow_dont_know")):
        out.append(Change(code, OPTIONS, _options_text(qa), _options_text(qb)))
    return out


def _cond_text(cond: tuple) -> str:
    import json

    return " ; ".join(json.dumps(c, ensure_ascii=False, sort_keys=True) for c in cond if c) or "–"


def _target_text(target: tuple) -> str:
    section, question, channel = target
    parts = [f"section: {','.join(section)}" if section else "", f"question: {','.join(question)}" if question else "",
             f"channel: {channel}" if channel else ""]
    return " ; ".join(p for p in parts if p) or "all"


def _options_text(q: Mapping) -> str:
    return f"required={bool(q.get('required'))}, dont_know={bool(q.get('allow_dont_know'))}"


def diff_snapshots(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Change]:
    """Every change from snapshot ``a`` (earlier) to ``b`` (later), in the later questionnaire's order."""
    qa, qb = _questions(a), _questions(b)
    out: list[Change] = []
    for code, (q, s) in qb.items():
        if code not in qa:
            out.append(Change(code, ADDED, "", scale_of(q)))
        else:
            out.extend(_question_changes(code, *qa[code], q, s))
    out.extend(Change(code, REMOVED, scale_of(q), "") for code, (q, _s) in qa.items() if code not in qb)
    return out
