"""Display conditions: one function decides what a respondent sees, from the answers so far.

A condition is JSON stored on a section or a question:

- ``{"question": "CODE", "in": ["a", "b"]}``: shown when the answer to CODE is one of the codes
  (for a multiple-choice question: when any chosen code is in the set);
- ``{"question": "CODE", "op": ">=", "value": 4}``: shown when the numeric answer compares true;
- ``{"all": [cond, ...]}`` / ``{"any": [cond, ...]}`` combine conditions;
- ``{"not": cond}``: shown when `cond` is not met (so also when its question is unanswered, as an
  XLSForm ``not(...)`` or ``!=`` reads).

An unanswered (or hidden) question makes a comparison false, so skipping never raises.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

OPERATORS = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


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
