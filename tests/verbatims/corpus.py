"""A constructed corpus with planted themes (French verbatims), for the theme and keyness tests.

Each verbatim of a planted theme says the theme's key phrase (most of the time) with a few of the
theme's words in random order, plus neutral words drawn at random: no fixed sentence repeats, so
the only structure in the corpus is the planted one.
"""

from __future__ import annotations

import random

PLANTED = {
    "délai": ("Le délai de réponse est trop long.",
              "attente semaines interminable lenteur relance courriel demande patience attendre"),
    "site": ("Le site est difficile à utiliser.",
             "navigation moteur recherche menu ergonomie page lien clic internet compliqué"),
    "données": ("Il y a des données manquantes.",
                "commune série incomplète absente manque détail rurale quartier niveau fin"),
}
#: neutral words sprinkled at random (no structure of their own: noise, not a theme)
FILLER = ("travail publication mois année étude collectivité bureau région utilisation besoin projet équipe "
          "rapport chiffre usage enquête question information document lecture analyse secteur entreprise "
          "territoire population emploi logement revenu santé éducation transport commerce agriculture "
          "industrie tourisme énergie environnement conjoncture prix salaire ménage").split()


def planted_corpus(per_theme: int = 60, seed: int = 1) -> tuple[list[str], list[str]]:
    """(texts, planted theme of each text), shuffled with ``seed``."""
    rng = random.Random(seed)
    rows = []
    for theme, (phrase, words) in PLANTED.items():
        vocab = words.split()
        for _ in range(per_theme):
            parts = [phrase] if rng.random() < 0.8 else []
            parts.append(" ".join(rng.sample(vocab, rng.randint(2, 4))))
            parts.append(" ".join(rng.sample(FILLER, rng.randint(0, 4))))
            rows.append((" ".join(p for p in parts if p), theme))
    rng.shuffle(rows)
    return [t for t, _ in rows], [th for _, th in rows]
