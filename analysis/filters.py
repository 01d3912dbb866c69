"""Dashboard filters: read from the URL (a GET form), checked against an allow-list.

Every page declares the parameters it accepts; a parameter it does not know, a value that is not
one of the survey's codes, a repeated single-valued parameter or a malformed number is refused
(:class:`FilterError` → HTTP 400). Nothing from the URL ever reaches the ORM as a field name or a
lookup: values are compared with the survey's own codes, and only those codes go further.

Parameter names are French (they show in shared URLs):

==============  ==========================================================================
``vague``       wave code(s) — several allowed; default depends on the page
``categorie``   category code(s) — display filter on the full table (see ``selectors``)
``canal``       channel code(s) — display filter; ``_none`` is "not stated"
``pondere``     ``1`` weighted / ``0`` unweighted (default: weighted when weights exist)
``seuil``       minimum cell size, ≥ the survey's ``min_cell`` (never below), ≤ 1000
``indicateur``  ``satisfaits`` | ``moyenne`` | ``nps``
``question``    a question code (verbatims: a text question)
``q``           free search text (verbatims), ≤ 100 characters
``page``        page number (verbatims), 1…100000
==============  ==========================================================================

An empty value (``?seuil=``, which the GET form sends for an empty field) means "default".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping
from urllib.parse import urlencode

__all__ = ["FilterError", "Filters", "Choices", "PAGE_PARAMS", "INDICATORS", "NOT_STATED", "parse"]

#: indicator switch: URL value → indicator kind of analysis.indicators
INDICATORS: dict[str, str] = {"satisfaits": "satisfied", "moyenne": "mean", "nps": "nps"}
#: the "channel not stated" cell in a channel filter
NOT_STATED = "_none"
MAX_MIN_CELL = 1000
MAX_Q = 100
MAX_PAGE = 100_000

MULTI = {"vague", "categorie", "canal"}

#: parameters each page accepts (anything else → 400). The trends page takes no category filter:
#: its lines are the channel page's per-wave margins over *all* categories, and a line for a subset
#: of categories would be a new sub-total (a differencing risk); the overview shows counts only.
PAGE_PARAMS: dict[str, frozenset[str]] = {
    "overview": frozenset({"vague"}),
    "channels": frozenset({"vague", "categorie", "canal", "pondere", "seuil", "indicateur"}),
    "trends": frozenset({"vague", "canal", "pondere", "seuil", "indicateur"}),
    "question": frozenset({"vague", "categorie", "pondere", "seuil"}),
    "verbatims": frozenset({"vague", "categorie", "canal", "question", "q", "page"}),
    "exports": frozenset({"vague", "seuil"}),
}


class FilterError(ValueError):
    """A URL parameter outside the allow-list (answered with HTTP 400)."""


@dataclass(frozen=True)
class Choices:
    """The values a survey allows: codes in display order."""

    waves: tuple[str, ...]
    categories: tuple[str, ...]
    channels: tuple[str, ...]
    min_cell: int
    questions: tuple[str, ...] = ()
    default_waves: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filters:
    """Validated filters (codes only). ``categories``/``channels`` empty means "all"."""

    page_name: str
    waves: tuple[str, ...]
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    weighted: bool | None = None  # None: the default (weighted when weights exist)
    min_cell: int = 5
    indicator: str = "satisfaits"
    question: str = ""
    q: str = ""
    page: int = 1
    explicit: frozenset[str] = field(default_factory=frozenset)

    @property
    def kind(self) -> str:
        return INDICATORS[self.indicator]

    def table_key(self) -> dict:
        """What a computed table depends on (display filters excluded: the table is the same)."""
        return {"waves": list(self.waves), "weighted": self.weighted, "min_cell": self.min_cell}

    def query(self, **overrides) -> str:
        """The query string of these filters (explicitly given parameters only), for links."""
        f = replace(self, **{k: v for k, v in overrides.items() if k in self.__dataclass_fields__})
        explicit = set(self.explicit) | {_PARAM_OF.get(k, k) for k in overrides}
        pairs: list[tuple[str, str]] = []
        if "vague" in explicit:
            pairs += [("vague", w) for w in f.waves]
        if "categorie" in explicit:
            pairs += [("categorie", c) for c in f.categories]
        if "canal" in explicit:
            pairs += [("canal", c) for c in f.channels]
        if "pondere" in explicit and f.weighted is not None:
            pairs.append(("pondere", "1" if f.weighted else "0"))
        if "seuil" in explicit:
            pairs.append(("seuil", str(f.min_cell)))
        if "indicateur" in explicit:
            pairs.append(("indicateur", f.indicator))
        if "question" in explicit and f.question:
            pairs.append(("question", f.question))
        if "q" in explicit and f.q:
            pairs.append(("q", f.q))
        if "page" in explicit and f.page != 1:
            pairs.append(("page", str(f.page)))
        allowed = PAGE_PARAMS[self.page_name]
        return urlencode([(k, v) for k, v in pairs if k in allowed])


_PARAM_OF = {"waves": "vague", "categories": "categorie", "channels": "canal", "weighted": "pondere",
             "min_cell": "seuil", "indicator": "indicateur"}


def _values(params: Mapping[str, list[str]], name: str) -> list[str]:
    return [v for v in params.get(name, []) if v != ""]


def _single(params: Mapping[str, list[str]], name: str) -> str | None:
    values = _values(params, name)
    if len(values) > 1:
        raise FilterError(f"{name}: une seule valeur attendue")
    return values[0] if values else None


def _codes(params, name: str, allowed: Iterable[str]) -> tuple[str, ...]:
    allowed = tuple(allowed)
    values = _values(params, name)
    for v in values:
        if v not in allowed:
            raise FilterError(f"{name}: valeur inconnue")
    # keep the survey's order, drop duplicates
    return tuple(code for code in allowed if code in set(values))


def _int(value: str, name: str, low: int, high: int) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 7:
        raise FilterError(f"{name}: nombre entier attendu")
    number = int(value)
    if not low <= number <= high:
        raise FilterError(f"{name}: hors des bornes ({low} à {high})")
    return number


def parse(params: Mapping[str, list[str]], page: str, choices: Choices) -> Filters:
    """Validate the query parameters of ``page`` (``params``: a QueryDict's ``lists()`` as a dict).

    Raises :class:`FilterError` for anything outside the allow-list.
    """
    allowed = PAGE_PARAMS[page]
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise FilterError("paramètre non autorisé")
    for name in params:
        if name not in MULTI and len(_values(params, name)) > 1:
            raise FilterError(f"{name}: une seule valeur attendue")
        for v in params[name]:
            if "\x00" in v or len(v) > 200:
                raise FilterError(f"{name}: valeur invalide")
    explicit = frozenset(n for n in params if _values(params, n))
    waves = _codes(params, "vague", choices.waves) or tuple(choices.default_waves)
    categories = _codes(params, "categorie", choices.categories)
    channels = _codes(params, "canal", tuple(choices.channels) + (NOT_STATED,))
    weighted = None
    raw = _single(params, "pondere")
    if raw is not None:
        if raw not in ("0", "1"):
            raise FilterError("pondere: 0 ou 1")
        weighted = raw == "1"
    min_cell = choices.min_cell
    raw = _single(params, "seuil")
    if raw is not None:
        min_cell = _int(raw, "seuil", choices.min_cell, max(MAX_MIN_CELL, choices.min_cell))
    indicator = _single(params, "indicateur") or "satisfaits"
    if indicator not in INDICATORS:
        raise FilterError("indicateur: valeur inconnue")
    question = _single(params, "question") or ""
    if question and question not in choices.questions:
        raise FilterError("question: valeur inconnue")
    q = _single(params, "q") or ""
    if len(q) > MAX_Q:
        raise FilterError("q: texte trop long")
    page_number = 1
    raw = _single(params, "page")
    if raw is not None:
        page_number = _int(raw, "page", 1, MAX_PAGE)
    return Filters(page_name=page, waves=waves, categories=categories, channels=channels, weighted=weighted,
                   min_cell=min_cell, indicator=indicator, question=question, q=q.strip(), page=page_number,
                   explicit=explicit)
