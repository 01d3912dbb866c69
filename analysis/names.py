"""Person names masked in verbatims ("Mme Dupont au guichet…" → "Mme [nom masqué] au guichet…").

Pure Python, offline, no model download. Two rules cover how people name a person in a survey
comment: a civility or title followed by capitalised words ("Mme Dupont", "M. Jean Dupuis",
"Mr and Mrs Walker", "Dr Brown"), and a known first name, with the capitalised words that follow it
("Sophie", "Nathalie Roux", "Marie-Claire Boyer"). The first names are a built-in list of the
usual French and English ones; names that are mostly places ("France", "Lorraine") are left out so
"France Travail" or "Florence" the city stay. spaCy's small French model was measured against these
rules on the labelled set (see the README, "Verbatims: themes"): it is slower and no better, and
no English model is published on the package registry, so the rules are the default.

Recall is measured on ``tests/data/person_names.tsv`` (≥ 200 labelled sentences, FR and EN, with
hard negatives: places, institutions, products); the test fails below 0.9.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["NAME_MARKER", "FIRST_NAMES", "mask_names", "find_names"]

NAME_MARKER = "[nom masqué]"

_FIRST = """
Adam Adèle Adeline Adrien Agathe Agnès Alain Alban Albert Alexandra Alexandre Alexis Alice Aline
Alix Amandine Amélie Anaïs André Andrée Ange Angélique Anne Annie Anthony Antoine Antonin Arnaud
Arthur Audrey Augustin Aurélie Aurélien Axel Aymeric Baptiste Barbara Bastien Béatrice Benjamin
Benoît Bernadette Bernard Bertrand Brigitte Bruno Camille Capucine Carine Carole Caroline Catherine
Cécile Céline Chantal Charles Charlotte Chloé Christian Christiane Christine Christophe Claire
Clara Claude Claudine Clément Clémence Colette Coralie Corinne Cyril Cyrille Damien Daniel Danielle
Danièle David Delphine Denis Denise Didier Dominique Dorothée Édouard Éléonore Éliane Élise Élodie
Éloïse Émilie Emma Emmanuel Emmanuelle Éric Estelle Étienne Eugénie Éva Évelyne Fabien Fabienne Fabrice
Fanny Félix Fernand Florian Francis Franck François Françoise Frédéric Frédérique Gabriel
Gabrielle Gaël Gaëlle Gaétan Geneviève Georges Gérard Germaine Ghislaine Gilbert Gilles Ginette
Gisèle Guillaume Guy Hélène Henri Hervé Hugo Hugues Inès Irène Isabelle Jacqueline Jacques Jean
Jeanne Jean-Claude Jean-François Jean-Luc Jean-Marc Jean-Marie Jean-Paul Jean-Pierre Jérémie
Jérémy Jérôme Joël Joëlle Jonathan Joseph Josiane Josette Juliette Julie Julien Justine Karine
Kévin Laetitia Laure Laurence Laurent Léa Léo Léon Léonie Liliane Lionel Loïc Louis Louise Luc
Lucas Lucie Lucien Lucienne Ludovic Madeleine Manon Marc Marcel Marguerite Marie Marine Marion
Martine Mathias Mathieu Mathilde Matthieu Maurice Maxime Mélanie Michel Michèle Micheline Mickaël
Monique Morgane Muriel Murielle Myriam Nadia Nadine Nathalie Nathan Nicolas Nicole Noémie Océane
Odette Odile Olivier Pascal Pascale Patrice Patricia Patrick Paul Paule Pauline Philippe Pierre
Quentin Raphaël Raymond Régis Rémi Rémy Renée Richard Robert Roger Roland Romain Sabine Sabrina
Sacha Sandra Sandrine Sarah Sébastien Serge Simone Solange Sophie Stéphane Stéphanie Suzanne Sylvain
Sylvie Thérèse Thibault Thibaut Thierry Thomas Timothée Tristan Valentin Valérie Vanessa Véronique
Victor Vincent Virginie Xavier Yann Yannick Yves Yvette Yvonne Zoé Mohamed Karim Rachid Farid
Nadir Samir Yasmine Leïla Fatima Sofiane Mehdi Nabil Amine Ibrahim Moussa Aïcha Malika
Aaron Abigail Alan Albert Alex Alexander Alice Alison Amanda Amy Andrew Andy Angela Ann Anna
Anthony Ashley Barbara Ben Benjamin Beth Betty Bill Bob Brandon Brenda Brian Bruce Carl Carol
Caroline Catherine Charles Charlie Chris Christine Christopher Claire Craig Daniel Dave David
Deborah Dennis Donald Donna Dorothy Douglas Edward Eleanor Elizabeth Ellen Emily Emma Eric Ethan
Frank Gary George Grace Gregory Hannah Harry Heather Helen Henry Ian Jack Jacob James Jane Janet
Jason Jennifer Jeremy Jessica Joan John Jonathan Joseph Joshua Joyce Judith Julia Justin Karen
Katherine Kathleen Kelly Kenneth Kevin Kimberly Larry Laura Lauren Linda Lisa Louise Lucy Margaret
Maria Mark Martha Mary Matthew Megan Melissa Michael Michelle Nancy Nicholas Oliver Olivia Pamela
Patricia Patrick Paul Peter Philip Rachel Raymond Rebecca Richard Robert Ronald Rose Ruth Ryan
Samantha Samuel Sandra Sarah Scott Sharon Simon Sophie Stephanie Stephen Steven Susan Thomas
Timothy Tom Victoria William Zoe
"""
#: names that are, first of all, places or common words in the surveys' register
_NOT_FIRST = {"France", "Lorraine", "Florence", "Virginia", "Georgia", "Sydney", "Victoria", "Grace",
              "Rose", "Mark", "Bill", "Marine", "Ange"}
FIRST_NAMES: frozenset[str] = frozenset(_FIRST.split()) - _NOT_FIRST

_TITLE = (r"(?:M\.|MM\.|Mme|Mmes|Mlle|Mlles|Monsieur|Madame|Mademoiselle|Messieurs|Mesdames|Docteur|Dr\.?|"
          r"Pr\.?|Professeur|Professor|Prof\.?|Maître|Mr\.?|Mrs\.?|Ms\.?|Miss|Sir|Dame|Lady|Lord)")
# a capitalised word (possibly hyphenated, with an apostrophe: "O'Brien", "Lambert-Rousseau")
_CAP = r"[A-ZÀ-ÖØ-Þ][^\W\d_]*(?:['’-][A-ZÀ-ÖØ-Þa-zß-ÿ][^\W\d_]*)*"
_PARTICLE = r"(?:de|du|des|d'|d’|van|von|da|di|le|la|Le|La|Mc)"
_NAME_SEQ = rf"{_CAP}(?:\s+(?:{_PARTICLE}\s*)?{_CAP})*"
_TITLE_RE = re.compile(
    rf"(?<![\w.])(?P<title>{_TITLE}(?:\s+(?:et|and|&)\s+{_TITLE})?)\s+(?P<name>{_NAME_SEQ})")
_CAP_SEQ_RE = re.compile(rf"(?<![\w'’-])(?P<name>{_NAME_SEQ})")
# words that are not person names even after a first name ("Julien Bonnet de l'Insee")
_STOP_CAPS = {"Insee", "Eurostat", "OCDE", "OECD", "Merci", "Thanks", "Bonjour", "Hello", "Le", "La", "Les",
              "The", "Je", "I", "Il", "Elle"}


def _plain(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", word) if unicodedata.category(ch) != "Mn")


_FIRST_PLAIN = frozenset(_plain(n) for n in FIRST_NAMES)


def _is_first_name(word: str) -> bool:
    parts = re.split(r"[-]", word)
    return all(p in FIRST_NAMES or _plain(p) in _FIRST_PLAIN for p in parts)


def _trim(words: list[str]) -> list[str]:
    """Stop a name at the first word that is an institution or a function word."""
    out = []
    for w in words:
        if w in _STOP_CAPS or (len(w) > 1 and w.isupper() and len(w) <= 5 and out):  # "Julien Bonnet INSEE"
            break
        out.append(w)
    return out


def find_names(text: str) -> list[tuple[int, int]]:
    """Character spans (start, end) of the person names found in ``text``, sorted, not overlapping."""
    spans: list[tuple[int, int]] = []
    for m in _TITLE_RE.finditer(text):
        words = _trim(m.group("name").split())
        if words:
            start = m.start("name")
            spans.append((start, start + len(" ".join(words)) if len(words) > 1 else start + len(words[0])))
    for m in _CAP_SEQ_RE.finditer(text):
        seq = m.group("name")
        # the sequence may start with a non-name ("Merci Karine"): begin at its first first name
        offset = 0
        for word in seq.split():
            if _is_first_name(word):
                break
            offset = seq.index(word, offset) + len(word)
        else:
            continue
        rest = seq[offset:].lstrip()
        start = m.start("name") + len(seq) - len(seq[offset:]) + (len(seq[offset:]) - len(rest))
        words = _trim(rest.split())
        if words:
            end = start + len(rest) if len(words) == len(rest.split()) else start + rest.index(words[-1]) + len(words[-1])
            spans.append((start, end))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def mask_names(text: str) -> str:
    """``text`` with every person name found replaced by ``[nom masqué]`` (civilities kept)."""
    if not text:
        return text or ""
    spans = find_names(text)
    if not spans:
        return text
    out, last = [], 0
    for s, e in spans:
        out.append(text[last:s])
        out.append(NAME_MARKER)
        last = e
    out.append(text[last:])
    return "".join(out)
