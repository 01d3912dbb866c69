"""Display conditions: one function decides what a respondent sees, from the answers so far.

A condition is JSON stored on a section or a question:

- ``{"question": "CODE", "in": ["a", "b"]}``: shown when the answer to CODE is one of the codes
  (for a multiple-choice question: when any chosen code is in the set);
- ``{"question": "CODE", "op": ">=", "value": 4}``: shown when the numeric answer compares true;
- ``{"all": [cond, ...]}`` / ``{"any": [cond, ...]}`` combine conditions;
- ``{"not": cond}``: shown when `cond` is not met (so also when its question is unanswered, as an
  XLSForm ``not(...)`` or ``!=`` reads).

An unanswered (or hidden) question makes a comparison false, so skipping never raises.

The whole grammar lives here: evaluation (:func:`condition_met`), well-formedness
(:func:`validate_condition`), the checks a questionnaire document adds — nesting depth, operators,
targets that exist, come earlier and have the codes compared (:func:`condition_problems`) — and the
canonical key order an export writes (:func:`canonical_condition`).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping
from typing import Any

OPERATORS = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
# Score range of each scored question type (a condition's "in" must name scores in it), and the
# types a comparison ("op") may read.
SCORED = {"satisfaction": (1, 5), "matrix": (1, 5), "scale": (0, 10), "nps": (0, 10)}
NUMERIC_FOR_CONDITIONS = {"satisfaction", "scale", "nps", "number"}
CONDITION_KEY_ORDER = ("all", "any", "not", "question", "in", "op", "value")

# question code -> (type, choice codes) of the questions a condition may refer to
Earlier = Mapping[str, tuple[str, set[str]]]


class ConditionError(ValueError):
    """A condition that cannot be evaluated; the message names what is wrong."""


def validate_condition(condition: Any, known_codes: set[str] | None = None, path: str = "condition") -> None:
    """Raise ConditionError (with the path of the bad element) unless `condition` is well formed."""
    if condition is None:
        return
    if not isinstance(condition, Mapping):
        raise ConditionError(f"{path}: must be an object")
    for key in ("all", "any"):
        if key in condition:
            parts = condition[key]
            if not isinstance(parts, list) or not parts:
                raise ConditionError(f"{path}.{key}: must be a non-empty list")
            for i, part in enumerate(parts):
                validate_condition(part, known_codes, f"{path}.{key}[{i}]")
            return
    if "not" in condition:
        validate_condition(condition["not"], known_codes, f"{path}.not")
        return
    code = condition.get("question")
    if not isinstance(code, str) or not code:
        raise ConditionError(f"{path}.question: missing question code")
    if known_codes is not None and code not in known_codes:
        raise ConditionError(f'{path}.question: unknown or later question "{code}"')
    if "in" in condition:
        if not isinstance(condition["in"], list) or not condition["in"]:
            raise ConditionError(f"{path}.in: must be a non-empty list of codes")
    elif "op" in condition:
        if not isinstance(condition["op"], str) or condition["op"] not in OPERATORS:
            raise ConditionError(f'{path}.op: unknown operator "{condition["op"]}"')
        if not isinstance(condition.get("value"), (int, float)) or isinstance(condition.get("value"), bool):
            raise ConditionError(f"{path}.value: must be a number")
    else:
        raise ConditionError(f'{path}: needs "in" or "op"')


def condition_met(condition: Mapping | None, answers: Mapping[str, Any]) -> bool:
    """Evaluate a condition against answers keyed by question code (missing = unanswered)."""
    if not condition:
        return True
    if "all" in condition:
        return all(condition_met(c, answers) for c in condition["all"])
    if "any" in condition:
        return any(condition_met(c, answers) for c in condition["any"])
    if "not" in condition:
        return not condition_met(condition["not"], answers)
    answer = answers.get(condition["question"])
    if answer is None or answer == "" or answer == []:
        return False
    if "in" in condition:
        wanted = {str(v) for v in condition["in"]}
        if isinstance(answer, (list, tuple, set)):
            return any(str(a) in wanted for a in answer)
        if isinstance(answer, float) and answer.is_integer():
            answer = int(answer)
        return str(answer) in wanted
    try:
        return OPERATORS[condition["op"]](float(answer), float(condition["value"]))
    except (TypeError, ValueError):
        return False


def canonical_condition(condition: Any) -> Any:
    """A condition with its keys in one fixed order: PostgreSQL's jsonb reorders keys, SQLite keeps
    them as written, and an export must read the same whatever the database."""
    if isinstance(condition, Mapping):
        ordered = {k: canonical_condition(condition[k]) for k in CONDITION_KEY_ORDER if k in condition}
        ordered.update({k: canonical_condition(v) for k, v in condition.items() if k not in ordered})
        return ordered
    if isinstance(condition, list):
        return [canonical_condition(c) for c in condition]
    return condition


def unhashable_op(condition: Any, path: str) -> str | None:
    """The path of an "op" that is not a string (a list or an object), if any."""
    if not isinstance(condition, Mapping):
        return None
    for key in ("all", "any"):
        if key in condition:
            parts = condition[key] if isinstance(condition[key], list) else []
            for i, part in enumerate(parts):
                found = unhashable_op(part, f"{path}.{key}[{i}]")
                if found:
                    return found
            return None
    if "not" in condition:
        return unhashable_op(condition["not"], f"{path}.not")
    if "op" in condition and "in" not in condition and not isinstance(condition["op"], (str, int, float, type(None))):
        return f"{path}.op"
    return None


def condition_depth(condition: Any) -> int:
    """Nesting levels of a condition (a leaf is 1)."""
    if isinstance(condition, Mapping):
        parts = [p for key in ("all", "any") if isinstance(condition.get(key), list) for p in condition[key]]
        if "not" in condition:
            parts.append(condition["not"])
        return 1 + max((condition_depth(p) for p in parts), default=0)
    return 1


def condition_problems(condition: Any, path: str, earlier: Earlier, *, max_depth: int) -> Iterator[str]:
    """Every problem of a document's condition as ``path: message``, in order: too deep, an operator
    that is not a string, malformed (:func:`validate_condition`), then its targets
    (:func:`condition_target_problems`)."""
    if condition_depth(condition) > max_depth:
        yield f"{path}: nested too deeply (at most {max_depth} levels)"
        return
    bad_op = unhashable_op(condition, path)
    if bad_op:  # OPERATORS is a dict: "op" must be a string before it is looked up
        yield f"{bad_op}: must be an operator (a string)"
        return
    try:
        validate_condition(condition, known_codes=set(earlier), path=path)
    except ConditionError as exc:
        yield str(exc)
        return
    yield from condition_target_problems(condition, path, earlier)


def condition_target_problems(condition: Mapping, path: str, earlier: Earlier) -> Iterator[str]:
    """A well-formed condition's leaves checked against the questions they name: no matrix or text
    question, codes that are choices or scores of the question, comparisons on numeric questions."""
    for key in ("all", "any"):
        if key in condition:
            for i, part in enumerate(condition[key]):
                yield from condition_target_problems(part, f"{path}.{key}[{i}]", earlier)
            return
    if "not" in condition:
        yield from condition_target_problems(condition["not"], f"{path}.not", earlier)
        return
    unknown = set(condition) - {"question", "in", "op", "value"}
    if unknown:
        yield f'{path}: unknown key "{sorted(unknown)[0]}"'
    code = condition["question"]
    qtype, choice_codes = earlier[code]
    if qtype in ("matrix", "text"):
        yield f'{path}.question: a condition cannot refer to a {qtype} question ("{code}")'
    elif "in" in condition:
        for i, wanted in enumerate(condition["in"]):
            if not isinstance(wanted, (str, int)) or isinstance(wanted, bool):
                yield f"{path}.in[{i}]: must be a code (string) or an integer"
            elif choice_codes and str(wanted) not in choice_codes:
                yield f'{path}.in[{i}]: "{wanted}" is not a choice of {code}'
            elif qtype in SCORED and str(wanted) not in {str(v) for v in range(SCORED[qtype][0],
                                                                               SCORED[qtype][1] + 1)}:
                low, high = SCORED[qtype]
                yield f'{path}.in[{i}]: "{wanted}" is not a score of {code} ({low} to {high})'
    elif qtype not in NUMERIC_FOR_CONDITIONS:
        yield f'{path}.op: comparing needs a numeric question; {code} is a {qtype} question (use "in")'
