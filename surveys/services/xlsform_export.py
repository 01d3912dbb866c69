"""XLSForm out: any survey as a workbook pyxform converts to an XForm, and that imports back unchanged.

The workbook is written from the survey's version-1 document (`survey_export`), so the two exports
describe the same questionnaire. A section is a ``begin group`` (its intro is the group's hint, its
categories and condition are columns), a scored question a ``select_one`` of a shared 1-to-5 or
0-to-10 list with its ``ecoute_role``, a matrix a ``field-list`` group of 1-to-5 rows; what plain
XLSForm has no place for (survey texts, nomenclatures, waves) goes to the ``ecoute`` sheet (see
`xlsform_columns`).
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any

from openpyxl import Workbook

from ..answers import DONT_KNOW
from ..models import SCORED_TYPES, Survey
from .import_export import NOTICE_KEYS, RETENTION_KEYS, SCORED, survey_export
from .relevance import condition_to_relevant
from .xlsform_columns import DONT_KNOW_LABEL, ECOUTE_HEADERS, ECOUTE_SHEET, LANGUAGES, ROLE, SCORE_LABELS

FR, EN = (f"label::{LANGUAGES[lang]}" for lang in ("fr", "en"))
HINT_FR, HINT_EN = (f"hint::{LANGUAGES[lang]}" for lang in ("fr", "en"))
SURVEY_HEADERS = ["type", "name", FR, EN, HINT_FR, HINT_EN, "required", "relevant", "constraint", "appearance",
                  ROLE["role"], ROLE["channel"], ROLE["categories"], ROLE["threshold"]]
CHOICE_HEADERS = ["list_name", "name", FR, EN]
SETTINGS_HEADERS = ["form_title", "form_id", "default_language"]


def _number(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class _Writer:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.rows: list[dict[str, str]] = []
        self.lists: dict[str, list[list[str]]] = {}
        self.types = {q["code"]: q["type"] for s in document["sections"] for q in s["questions"]}

    def row(self, **values: Any) -> None:
        self.rows.append({k: "" if v is None else str(v) for k, v in values.items()})

    def texts(self, text: Mapping | None, hint: Mapping | None = None) -> dict[str, str]:
        text, hint = text or {}, hint or {}
        return {FR: text.get("fr", ""), EN: text.get("en", ""),
                HINT_FR: hint.get("fr", ""), HINT_EN: hint.get("en", "")}

    def scored_list(self, role: str, dont_know: bool) -> str:
        name = f"ecoute_{role}" + ("_nsp" if dont_know else "")
        if name not in self.lists:
            low, high = SCORED[role]
            labels = SCORE_LABELS if role == "satisfaction" else {}
            rows = [[name, str(v), labels.get(v, {}).get("fr", str(v)), labels.get(v, {}).get("en", str(v))]
                    for v in range(low, high + 1)]
            if dont_know:
                rows.append([name, DONT_KNOW, DONT_KNOW_LABEL["fr"], DONT_KNOW_LABEL["en"]])
            self.lists[name] = rows
        return name

    def own_list(self, q: Mapping[str, Any]) -> str:
        name = q["code"]
        self.lists[name] = [[name, c["code"], c["label"].get("fr", ""), c["label"].get("en", "")] for c in q["choices"]]
        if q["allow_dont_know"]:
            self.lists[name].append([name, DONT_KNOW, DONT_KNOW_LABEL["fr"], DONT_KNOW_LABEL["en"]])
        return name

    def section(self, s: Mapping[str, Any]) -> None:
        self.row(type="begin group", name=s["code"], **self.texts(s["title"], s["intro"]),
                 relevant=condition_to_relevant(s["condition"], self.types), appearance="field-list",
                 **{ROLE["categories"]: " ".join(s["categories"])})
        for q in s["questions"]:
            self.question(q)
        self.row(type="end group")

    def question(self, q: Mapping[str, Any]) -> None:
        common = {"name": q["code"], **self.texts(q["text"], q["help"]), "required": "yes" if q["required"] else "",
                  "relevant": condition_to_relevant(q["condition"], self.types),
                  ROLE["channel"]: q["channel"], ROLE["categories"]: " ".join(q["categories"]),
                  ROLE["threshold"]: q["threshold"]}
        qtype = q["type"]
        if qtype == "matrix":
            self.matrix(q, common)
        elif qtype in SCORED_TYPES:
            self.row(type=f"select_one {self.scored_list(qtype, q['allow_dont_know'])}", **common,
                     **{ROLE["role"]: qtype})
        elif qtype in ("single", "multiple"):
            kind = "select_one" if qtype == "single" else "select_multiple"
            self.row(type=f"{kind} {self.own_list(q)}", **common)
        elif qtype == "text":
            self.row(type="text", **common, constraint=(f"string-length(.) <= {q['max_length']}"
                                                        if q["max_length"] else ""))
        else:  # number
            bounds = [f". {op} {_number(q[key])}" for key, op in (("min_value", ">="), ("max_value", "<="))
                      if q[key] is not None]
            self.row(type="decimal", **common, constraint=" and ".join(bounds))

    def matrix(self, q: Mapping[str, Any], common: dict[str, Any]) -> None:
        required = common.pop("required")
        self.row(type="begin group", **common, appearance="field-list", **{ROLE["role"]: "matrix"})
        listed = self.scored_list("satisfaction", q["allow_dont_know"])
        for item in q["choices"]:
            self.row(type=f"select_one {listed}", name=f"{q['code']}__{item['code']}",
                     **self.texts(item["label"]), required=required)
        self.row(type="end group")

    def ecoute_rows(self) -> list[list[Any]]:
        survey = self.document["survey"]
        rows = [["survey", key, survey[key]["fr"], survey[key]["en"], ""] for key in ("title", "intro", "thanks")]
        rows += [["survey", f"notice.{key}", survey["notice"][key]["fr"], survey["notice"][key]["en"], ""]
                 for key in NOTICE_KEYS]
        settings = {"slug": survey["slug"], "categories": " ".join(survey["categories"]),
                    "min_cell": survey["min_cell"], "keep_raw_text": str(survey["keep_raw_text"]).lower(),
                    "allow_erasure": str(survey["allow_erasure"]).lower(),
                    **{key: survey["retention"][key] for key in RETENTION_KEYS}}
        rows += [["setting", key, "", "", value] for key, value in settings.items()]
        for kind, key in (("category", "categories"), ("channel", "channels")):
            rows += [[kind, c["code"], c["label"]["fr"], c["label"]["en"], c["order"]] for c in self.document[key]]
        rows += [["wave", w["code"], w["label"], "", f"{w['opens_at']} {w['closes_at']}"]
                 for w in self.document["waves"]]
        return rows


def document_to_workbook(document: Mapping[str, Any]) -> Workbook:
    """The XLSForm workbook of a version-1 document (sheets survey, choices, settings, ecoute)."""
    writer = _Writer(document)
    for s in document["sections"]:
        writer.section(s)
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(SURVEY_HEADERS)
    for row in writer.rows:
        sheet.append([row.get(h, "") or None for h in SURVEY_HEADERS])
    choices = book.create_sheet("choices")
    choices.append(CHOICE_HEADERS)
    for rows in writer.lists.values():
        for row in rows:
            choices.append(row)
    settings = book.create_sheet("settings")
    settings.append(SETTINGS_HEADERS)
    settings.append([document["survey"]["title"]["fr"], document["survey"]["slug"], LANGUAGES["fr"]])
    ecoute = book.create_sheet(ECOUTE_SHEET)
    ecoute.append(ECOUTE_HEADERS)
    for row in writer.ecoute_rows():
        ecoute.append([None if v == "" else v for v in row])
    return book


def survey_to_xlsform(survey: Survey) -> bytes:
    """The survey as an .xlsx XLSForm workbook."""
    out = BytesIO()
    document_to_workbook(survey_export(survey)).save(out)
    return out.getvalue()
