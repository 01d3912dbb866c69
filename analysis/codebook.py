"""The codebook of a microdata export: a table (XLSX sheet), JSON, or Markdown.

Each variable of the file with its source column, question, item, type, label and value labels;
the ``row`` variable numbers the file's lines (no respondent identifier).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from .exports import Microdata

__all__ = ["codebook_rows", "codebook_json", "codebook_markdown"]


def codebook_rows(md: Microdata) -> pd.DataFrame:
    """The codebook as a table (one row per variable)."""
    rows = []
    for var in md.variables:
        values = "; ".join(f"{k} = {v}" for k, v in var.value_labels.items())
        codes = "; ".join(f"{k} → {v}" for k, v in var.codes.items())
        rows.append({"variable": var.name, "colonne": var.source, "question": var.question, "modalite": var.item,
                     "type": var.type, "libelle": var.label, "valeurs": values, "codes": codes})
    return pd.DataFrame(rows, columns=["variable", "colonne", "question", "modalite", "type", "libelle", "valeurs",
                                       "codes"])


def codebook_json(md: Microdata) -> bytes:
    """The codebook as JSON (survey, waves, rows, then each variable)."""
    doc = {"survey": md.survey, "waves": list(md.waves), "rows": md.rows,
           "note": "Microdonnées pour analystes habilités (secret statistique, loi 51-711). "
                   "Pas d'identifiant de répondant : 'row' numérote les lignes du fichier.",
           "variables": [{"name": "row", "type": "row", "label": "Numéro de ligne"}]
           + [v.as_dict() for v in md.variables]}
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def _md_cell(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def codebook_markdown(md: Microdata) -> bytes:
    """The codebook as a Markdown table (cells escaped)."""
    lines = [f"# Dictionnaire des variables — {_md_cell(md.survey)}", "",
             f"Vagues : {', '.join(md.waves) or '—'} · {md.rows} lignes · "
             "microdonnées pour analystes habilités (secret statistique).", "",
             "| Variable | Question | Modalité | Type | Libellé | Valeurs |", "| --- | --- | --- | --- | --- | --- |",
             "| row |  |  | row | Numéro de ligne |  |"]
    for var in md.variables:
        values = "; ".join(f"{k} = {v}" for k, v in var.value_labels.items())
        lines.append("| " + " | ".join(_md_cell(x) for x in (var.name, var.question, var.item, var.type, var.label,
                                                               values)) + " |")
    return ("\n".join(lines) + "\n").encode("utf-8")
