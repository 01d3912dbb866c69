"""Open data: every published table as CSV (the rows) and JSON (the same rows plus their metadata:
definitions, n, confidence intervals, suppression flags, weighting, minimum cell size).

The rows are those frozen in the version, i.e. exactly the table behind the chart on the page; a
suppressed cell has ``suppressed: true`` and no figure (checked again here before any byte goes out).
"""

from __future__ import annotations

import json

import pandas as pd
from django.utils.translation import gettext as _

from analysis import exports

from .models import PublicationVersion


def _frame(block: dict) -> pd.DataFrame:
    frame = pd.DataFrame(block.get("records") or [], columns=block.get("columns") or None)
    exports.ensure_no_hidden_values([frame])
    return frame


def block_csv(block: dict) -> bytes:
    """The rows of one table (UTF-8 with BOM, formula-safe), as on the page."""
    return exports.csv_bytes(_frame(block))


def definitions() -> dict[str, str]:
    """What each indicator and column means (methodology.md, in the reader's language)."""
    return {
        "satisfied": _("Part de satisfaits : réponses 4 ou 5 sur l'échelle de 1 à 5, pondérée ; IC à 95 % de "
                       "Wilson avec l'effectif efficace (Kish)."),
        "mean": _("Note moyenne (1 à 5) pondérée ; IC à 95 % de Student, variance par linéarisation."),
        "nps": _("Net Promoter Score : 100 × (part de promoteurs 9–10 − part de détracteurs 0–6) ; IC à 95 % de "
                 "Wald ajusté."),
        "share": _("Répartition : part pondérée de chaque réponse, avec l'effectif de la case."),
        "n": _("Nombre de réponses non pondérées de la case."),
        "ci_low / ci_high": _("Bornes de l'intervalle de confiance à 95 %."),
        "suppressed": _("Vrai quand la case est masquée par le secret statistique (moins de réponses que l'effectif "
                        "minimal, ou masquage secondaire) : elle ne porte alors aucune valeur."),
        "low_precision": _("Vrai quand la valeur est à interpréter avec prudence (n < 30 ou demi-IC > 10 points)."),
    }


def block_json(version: PublicationVersion, block: dict, base_url: str = "") -> bytes:
    """One table with its metadata (one JSON document)."""
    frame = _frame(block)
    meta = version.content.get("meta", {})
    p = version.publication
    doc = {
        "publication": {"collection": p.collection.slug, "slug": p.slug, "title": p.title,
                        "version": version.number, "released_at": p.release_moment.isoformat(),
                        "version_created_at": version.created_at.isoformat(),
                        "correction_note": version.correction_note or None,
                        "url": base_url.rstrip("/") + version.get_absolute_url()},
        "table": {"name": block["name"], "title": block["title"], "indicator": block.get("indicator"),
                  "question": block.get("question") or None},
        "metadata": {"survey": meta.get("survey"), "waves": meta.get("waves", []),
                     "weighted": bool(block.get("weighted", meta.get("weighted"))),
                     "min_cell": meta.get("min_cell"),
                     "confidentiality": _("Secret statistique : primaire sous l'effectif minimal, puis secondaire "
                                          "pour que les marges ne permettent pas de retrouver une case masquée."),
                     "definitions": definitions(), "note": block.get("note") or None},
        "columns": list(frame.columns),
        "rows": json.loads(frame.to_json(orient="records", double_precision=10)),
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
