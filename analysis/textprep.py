"""Text preparation for the qualitative analysis of verbatims: masking, lemmas, stop words, bigrams.

Pure Python (no Django). Every verbatim is masked first (e-mails, phones and person names), so
nothing a respondent typed about a person reaches a model, a stored theme or a quote. Words are
then lemmatised with ``simplemma`` (dictionary based, ships its French and English data, no
download) in the response's language, so "données manquantes" and "donnée manquante" count as one
feature; stop words are the built-in French/English list of :mod:`analysis.text` plus the words
an analyst adds for a survey ("insee", the survey's own name...). Bigrams of adjacent kept lemmas
("délai_réponse" from "délai de réponse") carry the phrases themes are made of.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

import simplemma

from analysis.names import mask_names
from analysis.text import is_stop_word, raw_words, strip_accents, tokens
from surveys.masking import mask_contacts

__all__ = ["LANGUAGES", "mask_text", "lemmas", "features", "prepare_corpus", "PreparedCorpus"]

#: the languages lemmatised; any other language code falls back to French (the survey's first)
LANGUAGES = ("fr", "en")
BIGRAM_SEP = "_"


def mask_text(text: str) -> str:
    """E-mails, phone numbers, IBANs, NIRs and person names replaced by markers (the same as at storage)."""
    if not text:
        return ""
    return mask_names(mask_contacts(text))


def _lang(lang: str | None) -> str:
    code = (lang or "fr").split("-")[0].lower()
    return code if code in LANGUAGES else "fr"


# where the dictionary's first reading is not the one of survey comments ("donnée" is a noun here)
_OVERRIDES = {("fr", "donnée"): "donnée", ("fr", "données"): "donnée"}


@lru_cache(maxsize=200_000)
def _lemma(word: str, lang: str) -> str:
    return _OVERRIDES.get((lang, word)) or simplemma.lemmatize(word, lang=lang).lower()


@lru_cache(maxsize=64)
def _stop_set(extra: tuple[str, ...]) -> frozenset[str]:
    words = {w.strip().lower() for w in extra if w and w.strip()}
    return frozenset(words | {strip_accents(w) for w in words})


@lru_cache(maxsize=300_000)
def _word(raw: str, lang: str) -> str | None:
    """The lemma a raw word stands for, or None (stop word, too short): :func:`analysis.text.tokens`'s
    rules then the lemma's, once per distinct word (most verbatims reuse a small vocabulary)."""
    kept = tokens(raw)
    if len(kept) != 1:
        return None
    lemma = _lemma(kept[0], lang)
    if len(lemma) < 3 or is_stop_word(lemma):
        return None
    return lemma



def lemmas(text: str, lang: str | None = "fr", extra_stop: Iterable[str] = ()) -> list[str]:
    """Lemmas of the content words of ``text`` (already masked), stop words removed, in order."""
    lang = _lang(lang)
    stop = _stop_set(tuple(extra_stop))
    out = []
    for raw in raw_words(text):
        lemma = _word(raw.lower(), lang)
        if lemma is not None and not (stop and (lemma in stop or strip_accents(lemma) in stop)):
            out.append(lemma)
    return out


def features(words: Sequence[str], bigrams: bool = True) -> list[str]:
    """Unigrams plus adjacent bigrams ("délai_réponse") of a lemma list."""
    if not bigrams:
        return list(words)
    return list(words) + [f"{a}{BIGRAM_SEP}{b}" for a, b in zip(words, words[1:]) if a != b]


@dataclass(frozen=True)
class PreparedCorpus:
    """Masked texts (what may be quoted) and their feature lists (what models see), aligned."""

    masked: list[str]
    features: list[list[str]]


def prepare_corpus(texts: Sequence[str], langs: Sequence[str | None] | None = None,
                   extra_stop: Iterable[str] = (), bigrams: bool = True) -> PreparedCorpus:
    """Mask then featurise every verbatim (``langs`` aligned with ``texts``; default French)."""
    stop = tuple(extra_stop)
    langs = langs if langs is not None else ["fr"] * len(texts)
    if len(langs) != len(texts):
        raise ValueError("langs must be aligned with texts")
    masked = [mask_text(t) for t in texts]
    feats = [features(lemmas(m, lang, stop), bigrams) for m, lang in zip(masked, langs)]
    return PreparedCorpus(masked, feats)
