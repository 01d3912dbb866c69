"""Themes of verbatims: TF-IDF + NMF, the number of themes chosen by stability across seeds.

Pure numpy/scikit-learn (no Django). The input is the feature lists of
:func:`analysis.textprep.prepare_corpus` (lemmas and bigrams of masked texts). Why NMF: its
themes are sums of terms with non-negative weights, which an analyst reads directly as "what this
group of comments talks about", and each comment gets a weight per theme.

The number of themes ``k``, when not given, is the most *stable* one (Greene, O'Callaghan &
Cunningham 2014): for each candidate k, NMF is fitted on several random 80 % subsamples (one per
seed), and the top terms of their themes are matched with those of the fit on all rows (Hungarian
algorithm on the Jaccard overlap of the top-term sets); a k whose themes come back whatever the
sample is one the data support. Ties go to the smaller k. The final model is fitted on every verbatim with the
deterministic NNDSVDa start, so a given seed always gives the same themes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.extmath import randomized_svd

from analysis.textprep import BIGRAM_SEP

__all__ = ["Theme", "ThemeResult", "vectorizer", "stability", "choose_k", "fit_themes", "display_term"]

K_RANGE = range(3, 11)
STABILITY_SAMPLE = 2000


def _identity(doc: list[str]) -> list[str]:
    return doc


def vectorizer(min_df: int = 2, max_features: int = 5000) -> TfidfVectorizer:
    """TF-IDF over pre-computed feature lists (sublinear tf: a repeated word is not a theme)."""
    return TfidfVectorizer(analyzer=_identity, min_df=min_df, max_df=0.6, max_features=max_features,
                           sublinear_tf=True, dtype=np.float32)


def display_term(term: str) -> str:
    """A feature as shown to people ("délai_réponse" → "délai réponse")."""
    return term.replace(BIGRAM_SEP, " ")


@dataclass
class Theme:
    """One theme: its terms (best first), how many verbatims it is the main theme of, and quotes."""

    number: int
    terms: list[str]
    weights: list[float]
    size: int
    members: np.ndarray = field(repr=False)
    quotes: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        """Three top terms, a bigram standing for its own words ("délai réponse", not "délai, …")."""
        chosen: list[str] = []
        for term in self.terms:
            words = set(term.split())
            if words <= {w for c in chosen for w in c.split()}:
                continue
            inner = [c for c in chosen if set(c.split()) <= words]
            if inner:
                chosen[chosen.index(inner[0])] = term
                chosen = [c for c in chosen if c not in inner[1:]]
            else:
                chosen.append(term)
            if len(chosen) == 3:
                break
        return ", ".join(chosen)


@dataclass
class ThemeResult:
    k: int
    stability: dict[int, float]
    themes: list[Theme]
    assignment: np.ndarray = field(repr=False)  # main theme of each verbatim, -1 when none
    terms: np.ndarray = field(repr=False)


def _top_sets(components: np.ndarray, top: int) -> list[set[int]]:
    return [set(np.argsort(-row)[:top].tolist()) for row in components]


def _agreement(a: list[set[int]], b: list[set[int]]) -> float:
    """Mean Jaccard overlap of two runs' themes, matched one to one (Hungarian algorithm)."""
    sim = np.array([[len(x & y) / len(x | y) if x | y else 0.0 for y in b] for x in a])
    rows, cols = linear_sum_assignment(-sim)
    return float(sim[rows, cols].mean())


def _svd(X, rank: int, seed: int):
    return randomized_svd(X, rank, n_iter=4, random_state=seed)


def _nndsvda(X, svd, k: int) -> tuple[np.ndarray, np.ndarray]:
    """NNDSVDa start of rank ``k`` (Boutsidis & Gallopoulos 2008) from a precomputed SVD of rank ≥ k,
    so one SVD serves every candidate k (the start of rank k only uses the top k triplets)."""
    U, S, V = svd
    W, H = np.zeros((X.shape[0], k)), np.zeros((k, X.shape[1]))
    W[:, 0], H[0, :] = np.sqrt(S[0]) * np.abs(U[:, 0]), np.sqrt(S[0]) * np.abs(V[0, :])
    for j in range(1, k):
        x, y = U[:, j], V[j, :]
        xp, yp, xn, yn = np.maximum(x, 0), np.maximum(y, 0), np.abs(np.minimum(x, 0)), np.abs(np.minimum(y, 0))
        mp = np.linalg.norm(xp) * np.linalg.norm(yp)
        mn = np.linalg.norm(xn) * np.linalg.norm(yn)
        u, v, sigma = (xp, yp, mp) if mp > mn else (xn, yn, mn)
        un, vn = np.linalg.norm(u) or 1.0, np.linalg.norm(v) or 1.0
        lbd = np.sqrt(S[j] * sigma)
        W[:, j], H[j, :] = lbd * u / un, lbd * v / vn
    avg = X.mean()
    W[W < 1e-6], H[H < 1e-6] = avg, avg
    return W.astype(X.dtype), H.astype(X.dtype)


def _fit_top(X, k: int, svd, seed: int, top: int) -> list[set[int]]:
    W, H = _nndsvda(X, svd, k)
    model = NMF(n_components=k, init="custom", random_state=seed, max_iter=200, tol=1e-3)
    with warnings.catch_warnings():  # a sketch fit: its top terms are settled long before convergence
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit_transform(X, W=W, H=H)
    return _top_sets(model.components_, top)


def _subsamples(X, seeds: Sequence[int], fraction: float, k_max: int) -> list:
    out = []
    for s in seeds:
        rng = np.random.default_rng(s)
        rows = np.sort(rng.choice(X.shape[0], size=max(k_max + 1, int(fraction * X.shape[0])), replace=False))
        sub = X[rows]
        out.append((sub, _svd(sub, k_max, s)))
    return out


def stability(X, k: int, seeds: Sequence[int], top: int = 10, fraction: float = 0.8, _cache=None) -> float:
    """Mean agreement (1 = identical) of the top terms of NMF fitted on random 80 % subsamples
    with those of the fit on all rows: Greene, O'Callaghan & Cunningham (2014)'s stability."""
    full, subs = _cache or ((_svd(X, k, 0)), _subsamples(X, seeds, fraction, k))
    reference = _fit_top(X, k, full, 0, top)
    scores = [_agreement(reference, _fit_top(sub, k, svd, s, top)) for (sub, svd), s in zip(subs, seeds)]
    return float(np.mean(scores)) if scores else 1.0


def choose_k(X, k_range: Sequence[int] = K_RANGE, seed: int = 0, n_seeds: int = 4,
             sample: int = STABILITY_SAMPLE, progress=None) -> tuple[int, dict[int, float]]:
    """The most stable number of themes in ``k_range`` (ties: the smaller), and every k's score."""
    rng = np.random.default_rng(seed)
    if X.shape[0] > sample:
        X = X[np.sort(rng.choice(X.shape[0], size=sample, replace=False))]
    X = X[:, np.flatnonzero(X.getnnz(axis=0))]  # terms absent from the sample: dead weight for the SVD
    ks = [k for k in k_range if 1 < k < min(X.shape)]
    if not ks:
        return max(1, min(min(X.shape) - 1, 2)), {}
    seeds = [seed * 1000 + i for i in range(n_seeds)]
    cache = (_svd(X, max(ks), seed), _subsamples(X, seeds, 0.8, max(ks)))  # one SVD per sample for every k
    scores = {}
    for i, k in enumerate(ks):
        scores[k] = round(stability(X, k, seeds, _cache=cache), 4)
        if progress:
            progress((i + 1) / len(ks))
    best = max(scores.values())
    return min(k for k, v in scores.items() if v >= best - 1e-9), scores


def _quotes(X, W: np.ndarray, H: np.ndarray, members: np.ndarray, quotable: np.ndarray,
            texts: Sequence[str] | None, n: int) -> list[int]:
    """The ``n`` member verbatims closest to the theme (cosine to its term vector), distinct texts."""
    candidates = members[quotable[members]]
    if not len(candidates):
        return []
    h = H / (np.linalg.norm(H) or 1.0)
    sims = np.asarray(X[candidates] @ h).ravel()
    order = candidates[np.lexsort((candidates, -sims))]
    out, seen = [], set()
    for i in order:
        key = texts[i].strip().lower() if texts is not None else i
        if key in seen:
            continue
        seen.add(key)
        out.append(int(i))
        if len(out) == n:
            break
    return out


def fit_themes(features: Sequence[list[str]], k: int | None = None, seed: int = 0,
               k_range: Sequence[int] = K_RANGE, min_df: int = 2, top_terms: int = 10,
               n_quotes: int = 5, texts: Sequence[str] | None = None,
               quotable: np.ndarray | None = None, progress=None) -> ThemeResult:
    """Themes of a corpus; ``quotable`` (bool per verbatim) says which may be quoted (cells ≥ min).

    ``progress(fraction)`` is called as the work advances (choosing k is most of it).
    """
    n_docs = len(features)
    quotable = np.ones(n_docs, bool) if quotable is None else np.asarray(quotable, bool)
    vec = vectorizer(min_df=min_df)
    try:
        X = vec.fit_transform(features)
    except ValueError:  # empty vocabulary: nothing to find
        return ThemeResult(0, {}, [], np.full(n_docs, -1), np.array([], dtype=object))
    terms = vec.get_feature_names_out()
    scores: dict[int, float] = {}
    if k is None:
        k, scores = choose_k(X, k_range, seed, progress=(lambda f: progress(0.8 * f)) if progress else None)
    k = max(1, min(k, min(X.shape)))
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400, tol=1e-4)
    W = model.fit_transform(X)
    H = model.components_
    assignment = np.where(W.max(axis=1) > 0, W.argmax(axis=1), -1)
    themes = []
    for t in range(k):
        members = np.flatnonzero(assignment == t)
        top = np.argsort(-H[t])[:top_terms]
        themes.append(Theme(t, [display_term(terms[j]) for j in top], [round(float(H[t, j]), 4) for j in top],
                            int(len(members)), members, _quotes(X, W, H[t], members, quotable, texts, n_quotes)))
    # biggest theme first, numbered again in that order (deterministic: ties by first term)
    themes.sort(key=lambda th: (-th.size, th.terms[0] if th.terms else ""))
    remap = np.full(k + 1, -1)
    for new, th in enumerate(themes):
        remap[th.number] = new
        th.number = new
    assignment = np.where(assignment >= 0, remap[assignment], -1)
    if progress:
        progress(1.0)
    return ThemeResult(k, scores, themes, assignment, terms)
