"""XLSForm ``relevant`` expressions <-> display conditions (surveys.logic), both ways.

XLSForm writes when a question is shown as an XPath expression (``${q} = 'x'``, ``selected(${q},
'x')``, ``not(...)``, ``and``/``or``...). Écoute stores the same thing as a JSON condition. This
module reads the subset of XPath our condition model can express, and refuses the rest with the
character where it stops, so an import never keeps a condition it does not understand. The tokens
come from pyxform's own XPath lexer (the reference XLSForm tool), so ``${q}``, literals and operators
are cut exactly as pyxform cuts them when it writes the XForm.

Semantics follow XPath where they differ: ``${q} != 'x'`` and ``not(...)`` are true when ``q`` is
unanswered, so both become ``{"not": ...}`` rather than a comparison (which is false when unanswered).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyxform.parsing.expression import parse_expression

COMPARISONS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
CHOICE_KINDS = {"single", "multiple", "satisfaction", "scale", "nps"}


class RelevanceError(ValueError):
    """An expression outside the subset conditions can express; the message says where it stops."""


class _Parser:
    """Recursive descent over pyxform's tokens: or > and > not/selected/comparison/parentheses."""

    def __init__(self, text: str, kinds: Mapping[str, str]) -> None:
        self.text = text
        self.kinds = kinds
        self.tokens = [t for t in parse_expression(text) if t.type != "WHITESPACE"]
        self.pos = 0

    def peek(self) -> Any:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def fail(self, what: str) -> RelevanceError:
        token = self.peek()
        where = f'"{token.value.strip()}" at character {token.start_pos + 1}' if token else "the end"
        return RelevanceError(f"{what}: unexpected {where} in {self.text!r}")

    def take(self, kind: str, value: str | None = None) -> Any:
        token = self.peek()
        if token is None or token.type != kind or (value is not None and token.value.strip() != value):
            raise self.fail(f'expected {value or kind.lower()}')
        self.pos += 1
        return token

    def parse(self) -> dict:
        result = self.disjunction()
        if self.peek() is not None:
            raise self.fail("expected the end of the expression")
        return result

    def disjunction(self) -> dict:
        parts = [self.conjunction()]
        while self._bool("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else _merge_any(parts)

    def conjunction(self) -> dict:
        parts = [self.unary()]
        while self._bool("and"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else {"all": parts}

    def _bool(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.type == "OPS_BOOL" and token.value.strip() == word:
            self.pos += 1
            return True
        return False

    def unary(self) -> dict:
        token = self.peek()
        if token is None:
            raise self.fail("expected a condition")
        if token.type == "FUNC_CALL" and token.value == "not(":
            self.pos += 1
            inner = self.disjunction()
            self.take("CLOSE_PAREN")
            return {"not": inner}
        if token.type == "FUNC_CALL" and token.value == "selected(":
            self.pos += 1
            code = self.reference()
            self.take("COMMA")
            value = self.literal()
            self.take("CLOSE_PAREN")
            return {"question": code, "in": [str(value)]}
        if token.type == "OPEN_PAREN":
            self.pos += 1
            inner = self.disjunction()
            self.take("CLOSE_PAREN")
            return inner
        return self.comparison()

    def reference(self) -> str:
        token = self.take("PYXFORM_REF")
        code = token.value[2:-1]
        if code not in self.kinds:
            raise RelevanceError(f'unknown or later question "{code}" in {self.text!r}')
        return code

    def operator(self) -> str:
        """A comparison operator; pyxform's lexer cuts ">=" and "<=" in two tokens."""
        token = self.take("OPS_COMP")
        after = self.peek()
        if (token.value in "<>" and after is not None and after.type == "OPS_COMP" and after.value == "="
                and after.start_pos == token.start_pos + 1):
            self.pos += 1
            return COMPARISONS[token.value + "="]
        return COMPARISONS[token.value]

    def literal(self) -> str | int | float:
        token = self.peek()
        if token is not None and token.type == "SYSTEM_LITERAL":
            self.pos += 1
            return token.value[1:-1]
        if token is not None and token.type == "NUMBER":
            self.pos += 1
            return float(token.value) if "." in token.value else int(token.value)
        raise self.fail("expected a quoted code or a number")

    def comparison(self) -> dict:
        token = self.peek()
        if token is not None and token.type == "PYXFORM_REF":
            code = self.reference()
            op = self.operator()
            value = self.literal()
        else:
            value = self.literal()
            op = FLIPPED[self.operator()]
            code = self.reference()
        return _comparison(code, self.kinds[code], op, value)


def _comparison(code: str, kind: str, op: str, value: str | int | float) -> dict:
    if op in ("==", "!=") and (kind in CHOICE_KINDS or isinstance(value, str)):
        if kind == "multiple":
            raise RelevanceError(f'{code} is a select_multiple: write selected(${{{code}}}, \'{value}\') '
                                 "rather than comparing it")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if kind not in CHOICE_KINDS:
            try:
                value = float(value)
            except ValueError as exc:
                raise RelevanceError(f"{code} is a number question: compare it with a number") from exc
            return _numeric(code, op, int(value) if value.is_integer() else value)
        condition = {"question": code, "in": [str(value)]}
        return {"not": condition} if op == "!=" else condition
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError as exc:
            raise RelevanceError(f'"{op}" compares numbers, not the code "{value}"') from exc
        value = int(value) if value.is_integer() else value
    return _numeric(code, op, value)


def _numeric(code: str, op: str, value: int | float) -> dict:
    if op == "!=":  # XPath: true when unanswered, as not(==) is
        return {"not": {"question": code, "op": "==", "value": value}}
    return {"question": code, "op": op, "value": value}


def _merge_any(parts: list[dict]) -> dict:
    """``selected(${q}, 'a') or selected(${q}, 'b')`` is one condition ``q in [a, b]`` (the form the
    export writes a several-code condition in), so a round trip gives the same condition back."""
    codes = {p.get("question") for p in parts}
    if len(codes) == 1 and None not in codes and all(set(p) == {"question", "in"} for p in parts):
        merged: list[str] = []
        for p in parts:
            merged += [v for v in p["in"] if v not in merged]
        return {"question": parts[0]["question"], "in": merged}
    return {"any": parts}


def relevant_to_condition(text: str, kinds: Mapping[str, str]) -> dict:
    """The condition an XLSForm ``relevant`` expresses; `kinds` maps each earlier question code to its
    Écoute type. RelevanceError when the expression is outside what conditions can express."""
    return _Parser(text, kinds).parse()


# -- the other way -----------------------------------------------------------------------------

def _quoted(value: Any) -> str:
    text = str(value)
    return f'"{text}"' if "'" in text else f"'{text}'"


def condition_to_relevant(condition: Mapping | None, types: Mapping[str, str]) -> str:
    """The ``relevant`` XPath of a condition (`types`: question code -> Écoute type); "" for none."""
    if not condition:
        return ""
    return _write(condition, types)


def _write(condition: Mapping, types: Mapping[str, str], nested: bool = False) -> str:
    for key, word in (("all", " and "), ("any", " or ")):
        if key in condition:
            text = word.join(_write(part, types, nested=True) for part in condition[key])
            return f"({text})" if nested else text
    if "not" in condition:
        return f"not({_write(condition['not'], types)})"
    code = condition["question"]
    if "in" in condition:
        if types.get(code) == "multiple":
            parts = [f"selected(${{{code}}}, {_quoted(v)})" for v in condition["in"]]
        else:
            parts = [f"${{{code}}} = {_quoted(v)}" for v in condition["in"]]
        text = " or ".join(parts)
        return f"({text})" if nested and len(parts) > 1 else text
    op = "=" if condition["op"] == "==" else condition["op"]
    return f"${{{code}}} {op} {condition['value']}"
