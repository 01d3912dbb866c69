"""Which tables a publication shows, and how they are frozen from the dashboards' own computations.

A publication lists its tables one per line (``canaux satisfaits``, ``tendances nps``,
``question SAT_OVERALL``). Each line is computed by the very function behind the analyst page of
the same name (:func:`analysis.views.channel_blocks`, ``trend_blocks``, ``question_blocks``) over
the publication's waves at the survey's minimum cell size: same primary and secondary
suppression, same linked masks, same charts. Only the suppressed tables leave this module; no
microdata, no verbatims.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

import pandas as pd
from django.utils import translation

from analysis import exports
from analysis.filters import INDICATORS, Filters

LANGUAGES = ("fr", "en")
KINDS = {"canaux": "channels", "tendances": "trends", "question": "question"}


class TableSpecError(ValueError):
    """A line of the ``tables`` field that cannot be read (the message names the line)."""


@dataclass(frozen=True)
class TableSpec:
    kind: str  # channels | trends | question
    indicator: str = "satisfaits"
    question: str = ""

    @property
    def page(self) -> str:
        return self.kind


def parse_tables(text: str, scored_questions: Sequence[str] | None = None) -> list[TableSpec]:
    """Read the table lines; ``scored_questions`` (when given) are the codes a ``question`` line may name."""
    specs: list[TableSpec] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        words = raw.split()
        if not words:
            continue
        keyword = words[0].lower()
        if keyword not in KINDS or len(words) != 2:
            raise TableSpecError(f"ligne {number} : « {raw.strip()[:60]} » — attendu « canaux INDICATEUR », "
                                 "« tendances INDICATEUR » ou « question CODE »")
        kind, value = KINDS[keyword], words[1]
        if kind == "question":
            if scored_questions is not None and value not in scored_questions:
                raise TableSpecError(f"ligne {number} : la question « {value[:40]} » n'est pas une question notée "
                                     "de l'enquête")
            spec = TableSpec(kind, question=value)
        else:
            if value not in INDICATORS:
                raise TableSpecError(f"ligne {number} : indicateur « {value[:40]} » inconnu "
                                     f"({', '.join(INDICATORS)})")
            spec = TableSpec(kind, indicator=value)
        if spec in specs:
            raise TableSpecError(f"ligne {number} : tableau déjà demandé")
        specs.append(spec)
    if not specs:
        raise TableSpecError("ligne 1 : au moins un tableau est attendu")
    return specs


def _records(table: pd.DataFrame, labels: dict[str, dict]) -> tuple[list[str], list[dict]]:
    """The published rows: codes, their labels, figures; suppressed cells carry none (checked)."""
    exports.ensure_no_hidden_values([table])
    out = exports.export_ready(table).copy()
    for col, mapping in labels.items():
        if col in out.columns:
            from analysis.charts import label_of

            out.insert(out.columns.get_loc(col) + 1, f"{col}_label",
                       [label_of(mapping, v) for v in out[col].astype(object)])
    rows = json.loads(out.to_json(orient="records", date_format="iso", double_precision=10))
    return list(out.columns), rows


def _blocks(d, spec: TableSpec, waves: tuple[str, ...]) -> tuple[list, bool]:
    """The analyst page's blocks for ``spec`` in the active language (``d`` keeps the computed
    tables between languages: only titles and labels are made again)."""
    from analysis import views as dash

    f = Filters(page_name=spec.page, waves=waves, min_cell=d.survey.min_cell, indicator=spec.indicator)
    if spec.kind == "channels":
        blocks = dash.channel_blocks(d, f)
    elif spec.kind == "trends":
        blocks = dash.trend_blocks(d, f)
    else:
        blocks = dash.question_blocks(d, f, spec.question)
    everyone = translation.gettext("Ensemble des répondants")
    labels = {"channel": {dash.ALL: everyone, **d.channel_labels()}, "category": {dash.ALL: everyone,
                                                                                  **d.category_labels()},
              "wave": d.wave_labels(), "wave_a": d.wave_labels(), "wave_b": d.wave_labels()}
    return [(b, labels) for b in blocks], d.weight_column(f) is not None


def freeze_content(survey, wave_codes: Sequence[str], specs: Sequence[TableSpec]) -> dict:
    """Every block of every table in French and in English, ready to store in a version."""
    from analysis import charts
    from analysis.selectors import Dashboard

    waves = tuple(wave_codes)
    content: dict = {"meta": {"survey": survey.slug, "waves": list(waves), "min_cell": survey.min_cell,
                              "weighted": False}}
    per_language: dict[str, list] = {language: [] for language in LANGUAGES}
    for i, spec in enumerate(specs, start=1):
        d = Dashboard(survey)  # one per table: a page's frame holds only the questions it needs
        for language in LANGUAGES:
            with translation.override(language):
                blocks, weighted = _blocks(d, spec, waves)
                content["meta"]["weighted"] = content["meta"]["weighted"] or weighted
                for block, labels in blocks:
                    columns, records = _records(block.table, labels)
                    name = f"t{i}-{block.name}"
                    per_language[language].append({
                        "name": name, "json_id": f"fig-{name}", "title": block.title, "note": block.note,
                        "headers": block.headers, "rows": block.rows, "kind": spec.kind,
                        "indicator": INDICATORS[spec.indicator] if spec.kind != "question" else "share",
                        "question": spec.question, "weighted": weighted,
                        "figure": charts.figure_json(block.figure()) if block.figure is not None else None,
                        "columns": columns, "records": records,
                    })
    content.update(per_language)
    return content
