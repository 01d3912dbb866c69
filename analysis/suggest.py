"""Suggested codes for verbatims not coded yet: logistic regression trained on hand codes.

Pure core (no Django): the examples are (text, language, code ids) tuples.

Same features as the themes (masked text, lemmas, bigrams, TF-IDF); one binary model per code
(a verbatim may have several codes). A suggestion is only shown, never stored as a code: the
analyst accepts it (then it becomes a hand code) or ignores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from analysis.textprep import features, lemmas, mask_text
from analysis.themes import vectorizer

MIN_EXAMPLES = 3  # hand-coded verbatims a code needs before it is suggested
THRESHOLD = 0.5


def _features(text: str, lang: str | None) -> list[str]:
    return features(lemmas(mask_text(text), lang))


@dataclass
class Suggester:
    vec: object
    models: dict[int, LogisticRegression]

    def __post_init__(self) -> None:
        # the binary models stacked: one sparse product scores every code at once
        self._ids = list(self.models)
        self._coef = np.vstack([self.models[c].coef_[0] for c in self._ids]).T if self._ids else None
        self._intercept = np.array([self.models[c].intercept_[0] for c in self._ids])

    def probabilities(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> np.ndarray:
        """P(code | verbatim) for every text (rows) and code (columns, in ``self.models`` order)."""
        langs = langs or ["fr"] * len(texts)
        X = self.vec.transform([_features(t, lang) for t, lang in zip(texts, langs)])
        return 1.0 / (1.0 + np.exp(-(np.asarray(X @ self._coef) + self._intercept)))

    def suggest(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[tuple[int, float] | None]:
        """Best code (id, probability) per text when its probability ≥ THRESHOLD, else None."""
        if not self._ids:
            return [None] * len(texts)
        out: list[tuple[int, float] | None] = []
        for row in self.probabilities(texts, langs):
            j = int(row.argmax())
            out.append((self._ids[j], round(float(row[j]), 3)) if row[j] >= THRESHOLD else None)
        return out


def train(examples: Sequence[tuple[str, str | None, set[int]]], seed: int = 0) -> Suggester | None:
    """A suggester from (text, language, code ids) examples; None when too few to learn from."""
    if len(examples) < 2 * MIN_EXAMPLES:
        return None
    feats = [_features(t, lang) for t, lang, _ in examples]
    vec = vectorizer(min_df=1)
    try:
        X = vec.fit_transform(feats)
    except ValueError:
        return None
    all_codes = sorted({c for _, _, codes in examples for c in codes})
    models = {}
    for code in all_codes:
        y = np.array([code in codes for _, _, codes in examples])
        if MIN_EXAMPLES <= y.sum() < len(y):  # both classes present
            models[code] = LogisticRegression(C=10.0, max_iter=500, random_state=seed).fit(X, y)
    return Suggester(vec, models) if models else None
