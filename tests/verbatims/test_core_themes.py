"""Themes (TF-IDF + NMF) and keyness on constructed corpora: planted themes found, hand-computed log-odds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.keyness import keyness, log_odds_dirichlet
from analysis.textprep import lemmas, prepare_corpus
from analysis.themes import fit_themes
from tests.verbatims.corpus import planted_corpus


@pytest.fixture(scope="module")
def planted():
    texts, labels = planted_corpus()
    prep = prepare_corpus(texts)
    return texts, np.array(labels), prep


def test_lemmas_merge_inflections_and_drop_stop_words():
    assert lemmas("Les données manquantes") == lemmas("la donnée manquante") == ["donnée", "manquant"]
    assert lemmas("The websites were slow", "en") == ["website", "slow"]
    assert "insee" not in lemmas("Les données de l'Insee", extra_stop=["Insee"])


def test_bigrams_join_adjacent_lemmas():
    feats = prepare_corpus(["Délai de réponse trop long"]).features[0]
    assert "délai_réponse" in feats and "délai" in feats


def test_each_planted_theme_is_found_by_one_theme_holding_80_percent_of_it(planted):
    texts, labels, prep = planted
    result = fit_themes(prep.features, seed=0, texts=prep.masked)
    assert result.k == 3, result.stability  # the most stable k is the planted one
    matched = set()
    for theme in np.unique(labels):
        found = result.assignment[labels == theme]
        best = np.bincount(found[found >= 0], minlength=result.k).argmax()
        assert (found == best).mean() >= 0.8, (theme, np.bincount(found + 1))
        matched.add(int(best))
    assert len(matched) == 3  # three different found themes


def test_theme_terms_sizes_and_quotes_describe_the_theme(planted):
    texts, labels, prep = planted
    result = fit_themes(prep.features, k=3, seed=0, texts=prep.masked)
    assert sum(t.size for t in result.themes) == (result.assignment >= 0).sum()
    for t in result.themes:
        assert 3 <= len(t.quotes) <= 5
        members = set(np.flatnonzero(result.assignment == t.number))
        assert set(t.quotes) <= members
        assert len({texts[i] for i in t.quotes}) == len(t.quotes)  # distinct quotes
    tops = sorted(" ".join(t.terms[:5]) for t in result.themes)
    for planted_word in ("délai", "difficile", "donnée"):
        assert sum(planted_word in top for top in tops) == 1, tops


def test_quotes_never_come_from_unquotable_verbatims(planted):
    texts, labels, prep = planted
    quotable = np.arange(len(texts)) % 2 == 0
    result = fit_themes(prep.features, k=3, seed=0, texts=prep.masked, quotable=quotable)
    assert all(quotable[i] for t in result.themes for i in t.quotes)
    assert all(t.quotes for t in result.themes)


def test_same_seed_same_themes(planted):
    _, _, prep = planted
    a = fit_themes(prep.features, seed=3, k_range=range(3, 6))
    b = fit_themes(prep.features, seed=3, k_range=range(3, 6))
    assert a.k == b.k and a.stability == b.stability
    assert [t.terms for t in a.themes] == [t.terms for t in b.themes]
    assert (a.assignment == b.assignment).all()


def test_log_odds_equal_a_hand_computation():
    y_i, y_j, alpha = np.array([10, 5, 0]), np.array([2, 5, 8]), np.array([1.0, 1.0, 1.0])
    out = log_odds_dirichlet(y_i, y_j, alpha)
    # n_i = n_j = 15, alpha_0 = 3
    d0 = math.log(11 / (15 + 3 - 10 - 1)) - math.log(3 / (15 + 3 - 2 - 1))
    d1 = math.log(6 / (15 + 3 - 5 - 1)) - math.log(6 / (15 + 3 - 5 - 1))
    d2 = math.log(1 / (15 + 3 - 0 - 1)) - math.log(9 / (15 + 3 - 8 - 1))
    assert out["delta"].tolist() == pytest.approx([d0, d1, d2])
    assert out["var"].tolist() == pytest.approx([1 / 11 + 1 / 3, 1 / 6 + 1 / 6, 1 / 1 + 1 / 9])
    assert out["z"].iloc[0] == pytest.approx(d0 / math.sqrt(1 / 11 + 1 / 3))
    assert out["z"].iloc[1] == 0


def test_keyness_puts_planted_dissatisfaction_terms_first():
    rng = np.random.default_rng(0)
    common = ["site", "donnée", "publication", "tableau", "série"]
    bad, good = ["inacceptable", "lenteur", "erreur"], ["rapide", "clair"]
    feats, dissatisfied = [], []
    for i in range(400):
        unhappy = i % 2 == 0
        doc = list(rng.choice(common, size=3, replace=False))
        if unhappy and rng.random() < 0.7:
            doc.append(str(rng.choice(bad)))
        if not unhappy and rng.random() < 0.7:
            doc.append(str(rng.choice(good)))
        feats.append(doc)
        dissatisfied.append(unhappy)
    top = keyness(feats, np.array(dissatisfied), limit=None)
    assert set(top["term"].head(3)) == set(bad)
    assert set(top["term"].tail(2)) == set(good)  # most typical of the satisfied: most negative z
    assert (top["z"].head(3) > 1.96).all()


def test_keyness_counts_use_the_weights():
    feats = [["délai"], ["délai"], ["site"], ["site"]]
    out = keyness(feats, np.array([True, False, True, False]), weights=np.array([3.0, 1.0, 1.0, 1.0]),
                  min_count=0, limit=None).set_index("term")
    assert out.loc["délai", "count_in"] == 3.0 and out.loc["délai", "count_out"] == 1.0


def test_label_lets_a_bigram_stand_for_its_words():
    from analysis.themes import Theme

    theme = Theme(0, ["délai", "délai réponse", "réponse", "long", "attente"], [1] * 5, 3, np.array([0]))
    assert theme.label == "délai réponse, long, attente"
