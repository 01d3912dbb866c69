"""DDI-Codebook 2.5 of a survey wave, for the statistical archives (Quetelet-Progedo, the CASD).

The codebook describes the wave's microdata as ``export_microdata`` writes them: the same variable
names (``wave``/``category``/``channel``/``weight``, one per question, ``CODE__choice`` 0/1 for a
multiple choice, ``CODE__item`` for a matrix item), labels and question text in French and English,
categories with their codes, labels and the wave's frequencies (complete responses, unweighted and
weighted by ``weight``). Frequencies obey the statistical secrecy of the published tables: each
variable's distribution is one line with its total as margin, suppressed by `analysis.disclosure`
(primary: n < the survey's ``min_cell``; secondary: so no hidden count can be recovered from the
total); a hidden count is left out with a note in its category's ``txt``, and the variable's
``TotlResp`` goes too when the margin must be hidden. "Don't know" is the missing-value code
``nsp`` (``invalrng`` and ``catgry missing="Y"``), as in the questionnaire.

The XML is built with the standard library; `validate_codebook` checks it against the XSD set
shipped in the repository (offline: lxml never fetches an imported schema from the network).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.utils import timezone

from surveys.answers import DONT_KNOW
from surveys.models import (
    SCORED_TYPES, Answer, Channel, Question, QuestionType, ResponseStatus, Survey, UserCategory, Wave,
)
from surveys.services.xlsform_columns import DONT_KNOW_LABEL, SCORE_LABELS

from .disclosure import suppress

NS = "ddi:codebook:2_5"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "ddi-codebook-2.5"
YES_NO = {1: {"fr": "Oui", "en": "Yes"}, 0: {"fr": "Non", "en": "No"}}
HIDDEN_NOTE = {"fr": "Effectif masqué (secret statistique)", "en": "Count withheld (statistical secrecy)"}

ET.register_namespace("", NS)


@dataclass
class Category:
    code: str
    label: dict[str, str]
    missing: bool = False
    n: int = 0
    weighted: float = 0.0
    hidden: bool = False


@dataclass
class Variable:
    name: str
    label: dict[str, str]
    question: dict[str, str] | None = None
    kind: str = "discrete"  # discrete | contin | text
    categories: list[Category] = field(default_factory=list)
    valid: int = 0
    total_hidden: bool = False


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, lang: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, _q(tag), {k.replace("_", "-"): v for k, v in attrs.items()})
    if lang:
        element.set(XML_LANG, lang)
    if text is not None:
        element.text = text
    return element


def _texts(parent: ET.Element, tag: str, text: dict[str, str]) -> None:
    for lang in ("fr", "en"):
        if text.get(lang):
            _sub(parent, tag, text[lang], lang=lang)


# -- the wave's variables and counts (Django side) -----------------------------------------------

def _labelled(obj: object, field_name: str = "label") -> dict[str, str]:
    return {"fr": getattr(obj, f"{field_name}_fr"), "en": getattr(obj, f"{field_name}_en")}


def _scores(qtype: str) -> list[Category]:
    low, high = (1, 5) if qtype in (QuestionType.SATISFACTION, QuestionType.MATRIX) else (0, 10)
    return [Category(str(v), dict(SCORE_LABELS[v]) if low == 1 else {"fr": str(v), "en": str(v)})
            for v in range(low, high + 1)]


def wave_variables(survey: Survey, wave: Wave) -> list[Variable]:
    """The wave's variables with their categories counted over its complete responses."""
    responses = list(wave.responses.filter(status=ResponseStatus.COMPLETE).values_list(
        "id", "category__code", "channel__code", "weight"))
    weight = {rid: w for rid, _c, _ch, w in responses}
    variables: list[Variable] = []
    for name, model, column in (("category", UserCategory, 1), ("channel", Channel, 2)):
        codes = [o for o in model.objects.order_by("order", "code")]
        var = Variable(name, {"fr": "Catégorie d'utilisateurs" if name == "category" else "Canal de contact",
                              "en": "User category" if name == "category" else "Contact channel"},
                       categories=[Category(o.code, _labelled(o)) for o in codes])
        _count(var, ((r[column], r[3]) for r in responses if r[column]))
        variables.append(var)
    variables.append(Variable("weight", {"fr": "Poids de la réponse", "en": "Response weight"}, kind="contin",
                              valid=len(responses)))
    answers: dict[int, list] = defaultdict(list)
    for qid, rid, value, text, codes, dk in Answer.objects.filter(response_id__in=list(weight)).values_list(
            "question_id", "response_id", "value", "text", "codes", "dont_know").iterator():
        answers[qid].append((weight[rid], value, text, codes, dk))
    questions = Question.objects.filter(survey=survey).order_by("section__order", "order").prefetch_related("choices")
    for q in questions:
        variables += _question_variables(q, answers.get(q.id, []))
    return variables


def _count(var: Variable, values: Iterable[tuple[str, float]]) -> None:
    by_code = {c.code: c for c in var.categories}
    for code, w in values:
        if code in by_code:
            by_code[code].n += 1
            by_code[code].weighted += w
    var.valid = sum(c.n for c in var.categories if not c.missing)


def _code_of(qtype: str, value: float | None, text: str, dont_know: bool) -> str:
    """The category code of a single-choice or scored answer ("nsp" for don't know)."""
    if dont_know:
        return DONT_KNOW
    if qtype == QuestionType.SINGLE:
        return text
    return "" if value is None else f"{value:g}"


def _question_variables(q: Question, rows: list) -> list[Variable]:
    text = _labelled(q, "text")
    choices = list(q.choices.all())
    dk = [Category(DONT_KNOW, dict(DONT_KNOW_LABEL), missing=True)] if q.allow_dont_know else []
    if q.type in SCORED_TYPES or q.type == QuestionType.SINGLE:
        cats = _scores(q.type) if q.type != QuestionType.SINGLE else [Category(c.code, _labelled(c)) for c in choices]
        var = Variable(q.code, text, text, categories=cats + dk)
        _count(var, ((_code_of(q.type, v, t, d), w) for w, v, t, _c, d in rows))
        return [var]
    if q.type == QuestionType.MULTIPLE:
        out = []
        for c in choices:
            var = Variable(f"{q.code}__{c.code}", {lang: f"{text[lang]} : {c_label}" if text[lang] else c_label
                                                   for lang, c_label in _labelled(c).items()}, text,
                           categories=[Category(str(k), dict(v)) for k, v in YES_NO.items()])
            _count(var, (("1" if c.code in (codes or []) else "0", w) for w, _v, _t, codes, _d in rows
                         if isinstance(codes, list)))
            out.append(var)
        return out
    if q.type == QuestionType.MATRIX:
        out = []
        for c in choices:
            var = Variable(f"{q.code}__{c.code}", _labelled(c), text, categories=_scores(q.type))
            _count(var, ((str(codes.get(c.code)), w) for w, _v, _t, codes, _d in rows
                         if isinstance(codes, dict) and c.code in codes))
            out.append(var)
        return out
    kind = "contin" if q.type == QuestionType.NUMBER else "text"
    return [Variable(q.code, text, text, kind=kind,
                     valid=sum(1 for _w, v, t, _c, d in rows if not d and (v is not None or t)))]


def apply_secrecy(variables: list[Variable], min_cell: int) -> None:
    """Hide the counts statistical secrecy forbids (one one-way table per variable, its total as margin)."""
    for var in variables:
        if var.categories:
            table = pd.DataFrame({"code": [c.code for c in var.categories], "n": [c.n for c in var.categories]})
            hidden = suppress(table, min_cell=min_cell, by_rows=["code"])
            for cat, is_hidden in zip(var.categories, hidden["suppressed"], strict=True):
                cat.hidden = bool(is_hidden)
            var.total_hidden = bool(hidden.attrs.get("margins_to_hide"))
        elif 0 < var.valid < min_cell:
            var.total_hidden = True


# -- the XML ---------------------------------------------------------------------------------------

def codebook_xml(survey: Survey, wave: Wave, variables: list[Variable] | None = None) -> bytes:
    """The DDI-Codebook 2.5 document of one wave (UTF-8 XML bytes)."""
    if variables is None:
        variables = wave_variables(survey, wave)
        apply_secrecy(variables, survey.min_cell)
    ident = f"{survey.slug}-{wave.code}"
    root = ET.Element(_q("codeBook"), {"version": "2.5", "ID": f"CB-{ident}"})
    root.set(XML_LANG, "fr")
    producer = settings.SERVICE_OWNER
    doc = _sub(_sub(root, "docDscr"), "citation")
    _sub(_sub(doc, "titlStmt"), "titl", f"Dictionnaire des codes : {survey.title_fr}", lang="fr")
    _sub(_sub(doc, "prodStmt"), "producer", producer)
    study = _sub(root, "stdyDscr")
    citation = _sub(study, "citation")
    titles = _sub(citation, "titlStmt")
    _sub(titles, "titl", f"{survey.title_fr} ({wave.label or wave.code})", lang="fr")
    if survey.title_en:
        _sub(titles, "parTitl", f"{survey.title_en} ({wave.code})", lang="en")
    _sub(titles, "IDNo", ident)
    _sub(_sub(citation, "rspStmt"), "AuthEnty", producer)
    production = _sub(citation, "prodStmt")
    _sub(production, "producer", producer)
    _sub(production, "prodDate", timezone.localdate().isoformat(), date=timezone.localdate().isoformat())
    info = _sub(_sub(study, "stdyInfo"), "sumDscr")
    for event, moment in (("start", wave.opens_at), ("end", wave.closes_at)):
        day = timezone.localtime(moment).date().isoformat()
        _sub(info, "collDate", day, date=day, event=event)
    offered = list(survey.categories.order_by("order", "code")) or list(UserCategory.objects.order_by("order", "code"))
    for lang, lead in (("fr", "Utilisateurs des statistiques et services : "), ("en", "Users of the statistics and "
                                                                                     "services: ")):
        _sub(info, "universe", lead + " ; ".join(getattr(c, f"label_{lang}") or c.label_fr for c in offered) + ".",
             lang=lang, clusion="I")
    collection = _sub(_sub(study, "method"), "dataColl")
    _sub(collection, "weight", "Variable weight : poids de chaque réponse complète (1 sans redressement ; "
                               "calage sur marges sinon).", lang="fr")
    data = _sub(root, "dataDscr")
    for var in variables:
        _variable(data, var)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _variable(data: ET.Element, var: Variable) -> None:
    attrs = {"ID": f"V_{var.name}", "name": var.name}
    if var.name == "weight":
        attrs["wgt"] = "wgt"
    else:
        attrs["wgt-var"] = "V_weight"
    if var.kind in ("discrete", "contin"):
        attrs["intrvl"] = var.kind
    element = _sub(data, "var", **attrs)
    _texts(element, "labl", var.label)
    if var.question:
        for lang in ("fr", "en"):
            if var.question.get(lang):
                _sub(_sub(element, "qstn", lang=lang), "qstnLit", var.question[lang])
    missing = [c for c in var.categories if c.missing]
    if missing:
        invalid = _sub(element, "invalrng")
        for cat in missing:
            _sub(invalid, "item", VALUE=cat.code)
    if not var.total_hidden:
        _sub(element, "sumStat", str(var.valid), type="vald")
    for cat in var.categories:
        node = _sub(element, "catgry", **({"missing": "Y"} if cat.missing else {}))
        _sub(node, "catValu", cat.code)
        _texts(node, "labl", cat.label)
        if cat.hidden:
            _texts(node, "txt", HIDDEN_NOTE)
        else:
            _sub(node, "catStat", str(cat.n), type="freq", wgtd="not-wgtd")
            _sub(node, "catStat", f"{cat.weighted:.2f}", type="freq", wgtd="wgtd", wgt_var="V_weight")
    _sub(element, "varFormat", type="character" if var.kind == "text" or var.name in ("category", "channel")
         or any(not c.code.lstrip("-").isdigit() for c in var.categories if not c.missing) else "numeric",
         schema="other")


def validate_codebook(xml: bytes, schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """Errors of `xml` against codebook.xsd ([] when valid), read from local files only."""
    from lxml import etree  # a test/tooling dependency: only the validation needs it

    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    schema = etree.XMLSchema(etree.parse(str(schema_dir / "codebook.xsd"), parser))
    document = etree.fromstring(xml, parser)
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
