"""Most frequent terms of verbatims (free-text answers), French and English stop words removed.

Pure Python, no Django, no download: the stop-word lists are built in (the usual function words
of both languages, plus survey filler such as "merci"). A term counts once per answer (document
frequency), so one long answer repeating a word does not dominate; terms used in fewer than
``min_docs`` answers are left out (a rare word can point at one respondent).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Iterable

__all__ = ["STOP_WORDS", "strip_accents", "is_stop_word", "raw_words", "tokens", "frequent_terms"]

_FR = """
a à afin ai aie aient aies ait alors as au aucun aucune auquel aussi autre autres aux auxquelles
auxquels avaient avais avait avant avec avez aviez avions avoir avons ayant ayez ayons bon c ça
car ce ceci cela celle celles celui cependant certain certaine certaines certains ces cet cette
ceux chacun chaque chez ci comme comment d dans de dedans dehors depuis des desquelles desquels
dessous dessus donc dont du duquel durant elle elles en encore entre es est et étaient étais
était étant état été êtes étiez étions être eu eue eues eûmes eurent eus eusse eussent eusses
eussiez eussions eut eût eûtes eux fait faire fais faisait faites fois font furent fus fusse
fussent fusses fussiez fussions fut fût fûtes hors ici il ils j je jusqu jusque l la là laquelle le
lequel les lesquelles lesquels leur leurs lorsque lui m ma mais me même mêmes mes moi moins mon
n ne ni non nos notre nous on ont ou où par parce pas peu peut peuvent plupart pour pourquoi
pourrait puis qu quand que quel quelle quelles quels qui quoi s sa sans se sera serai seraient
serais serait seras serez seriez serions serons seront ses si sien sienne siennes siens soi soient
sois soit sommes son sont sous soyez soyons suis sur t ta te tes toi ton tous tout toute toutes
très trop tu un une unes uns v vers via voici voilà vont vos votre vous vu y
merci bonjour cordialement svp rien autres etc oui non plus bien aussi cela ceci
"""

_EN = """
a about above after again against all am an and any are aren as at be because been before being
below between both but by can cannot could couldn d did didn do does doesn doing don down during
each few for from further had hadn has hasn have haven having he her here hers herself him himself
his how i if in into is isn it its itself just ll m me more most mustn my myself no nor not now o
of off on once only or other our ours ourselves out over own re s same shan she should shouldn so
some such t than that the their theirs them themselves then there these they this those through
to too under until up ve very was wasn we were weren what when where which while who whom why
will with won would wouldn y you your yours yourself yourselves also get got thanks thank please
really much many one would could like
"""

#: stop words of both languages (lower case, with and without accents)
STOP_WORDS: frozenset[str] = frozenset(_FR.split()) | frozenset(_EN.split())

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_EN_CONTRACTIONS = frozenset({"t", "s", "re", "ve", "ll", "d", "m"})
_MARKER = re.compile(r"\[[^\]\n]{0,60}\]")
_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)


@lru_cache(maxsize=200_000)  # called for every word of every verbatim: the vocabulary is small
def strip_accents(word: str) -> str:
    """``word`` without its diacritics ("évalué" → "evalue"), to match stop words typed without."""
    return "".join(ch for ch in unicodedata.normalize("NFD", word) if unicodedata.category(ch) != "Mn")


_STOP_PLAIN = frozenset(strip_accents(w) for w in STOP_WORDS)


def is_stop_word(word: str) -> bool:
    """Whether a lower-case word is a stop word, with or without its accents."""
    return word in STOP_WORDS or strip_accents(word) in _STOP_PLAIN


def raw_words(text: str) -> Iterable[str]:
    """The words of ``text`` as typed, masked personal data ("[courriel masqué]") left out."""
    for match in _WORD.finditer(_MARKER.sub(" ", text or "")):
        yield match.group(0)


def tokens(text: str, min_length: int = 3) -> list[str]:
    """Lower-case words of ``text`` without elisions (l', d', qu'…), stop words and short words."""
    out = []
    for raw in raw_words(text):
        word = _ELISION.sub("", raw.lower())
        word = word.replace("’", "'")
        head, sep, tail = word.rpartition("'")
        if sep and tail in _EN_CONTRACTIONS:  # isn't, it's, we've...
            word = head[:-1] if tail == "t" and head.endswith("n") else head
        if len(word) < min_length or is_stop_word(word):
            continue
        out.append(word)
    return out


def frequent_terms(texts: Iterable[str], limit: int = 20, min_docs: int = 5) -> list[tuple[str, int]]:
    """The ``limit`` terms used in the most answers, as (term, number of answers), ties by term.

    Terms found in fewer than ``min_docs`` answers are not listed.
    """
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(tokens(text)))
    ranked = sorted(((t, c) for t, c in counts.items() if c >= min_docs), key=lambda tc: (-tc[1], tc[0]))
    return ranked[:limit]
