"""Person names masked: recall measured on the labelled sentences of tests/data/person_names.tsv."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.names import NAME_MARKER, mask_names
from analysis.textprep import mask_text, prepare_corpus

DATA = Path(__file__).resolve().parents[1] / "data" / "person_names.tsv"


def _rows() -> list[tuple[str, list[str]]]:
    rows = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            text, _, names = line.partition("\t")
            rows.append((text, [n for n in names.split("|") if n]))
    return rows


def _name_left(name: str, masked: str) -> bool:
    """Any word of the name (3 letters or more) still readable in the masked text."""
    return any(part in masked for part in name.replace("-", " ").split() if len(part) >= 3)


def test_labelled_set_has_at_least_200_sentences_with_and_without_names():
    rows = _rows()
    assert len(rows) >= 200
    assert sum(1 for _, names in rows if names) >= 100 and sum(1 for _, names in rows if not names) >= 80


def test_recall_on_labelled_names_is_at_least_0_9():
    found = missed = 0
    for text, names in _rows():
        masked = mask_names(text)
        for name in names:
            if _name_left(name, masked):
                missed += 1
            else:
                found += 1
    recall = found / (found + missed)
    print(f"person-name recall: {recall:.3f} ({found}/{found + missed})")
    assert recall >= 0.9


def test_places_institutions_and_products_are_left_alone():
    negatives = [text for text, names in _rows() if not names]
    altered = [t for t in negatives if mask_names(t) != t]
    print(f"negative sentences altered: {len(altered)}/{len(negatives)}")
    assert len(altered) <= 0.05 * len(negatives), altered


@pytest.mark.parametrize("text, expected", [
    ("Mme Dupont au guichet", f"Mme {NAME_MARKER} au guichet"),
    ("Mr and Mrs Walker were kind", f"Mr and Mrs {NAME_MARKER} were kind"),
    ("Merci Karine !", f"Merci {NAME_MARKER} !"),
    ("Julien Bonnet de l'Insee", f"{NAME_MARKER} de l'Insee"),
    ("France Travail et Paris", "France Travail et Paris"),
])
def test_names_replaced_civility_kept(text, expected):
    assert mask_names(text) == expected


def test_masking_runs_before_features_and_covers_emails_and_phones():
    text = "Mme Dupont (marie.dupont@example.org, 06 12 34 56 78) a répondu"
    assert mask_text(text) == f"Mme {NAME_MARKER} ([courriel masqué], [téléphone masqué]) a répondu"
    prep = prepare_corpus([text])
    assert not {"dupont", "marie", "example"} & set(prep.features[0])
