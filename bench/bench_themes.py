"""Themes of verbatims at scale (issue 20): ``python -m bench --only themes`` or this file alone.

    .venv/bin/python -m bench.bench_themes [--n 100000]

Synthetic French/English verbatims (eight themes with their own words, neutral words, some
names, e-mails and phones to mask) go through the whole pure-core pipeline: masking and
lemmatisation (:func:`analysis.textprep.prepare_corpus`), TF-IDF + NMF with the number of themes
chosen by stability (:func:`analysis.themes.fit_themes`), and keyness of the dissatisfied. It runs
in a child process so that the peak memory reported (ru_maxrss) is the pipeline's own. Then the
suggestion of a code for one new verbatim (logistic regression trained on 300 hand codes) is
timed, one verbatim at a time.

Targets: 100,000 verbatims ≤ 30 s on 2 cores, peak ≤ 2 GB; one suggestion ≤ 10 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time

TARGET_S, TARGET_MB, TARGET_SUGGEST_MS = 30.0, 2048.0, 10.0
THEMES = {
    "délai": ("Le délai de réponse est trop long.", "attente semaines relance courriel demande lenteur patience"),
    "site": ("Le site est difficile à utiliser.", "navigation moteur recherche menu ergonomie page lien"),
    "données": ("Il manque des données communales.", "série incomplète absente détail rurale quartier niveau"),
    "api": ("L'API est souvent indisponible.", "requête limite quota erreur serveur documentation jeton"),
    "prix": ("Les fichiers détaillés sont trop chers.", "tarif coût licence abonnement payant budget gratuit"),
    "format": ("Merci de publier en format ouvert.", "csv excel tableur parquet télécharger colonne fichier"),
    "web_en": ("The website is hard to navigate.", "search menu page link slow broken layout"),
    "speed_en": ("Answers take far too long.", "wait weeks reply email request delay ticket"),
}
FILLER = ("travail publication mois année étude collectivité bureau région projet équipe rapport chiffre "
          "enquête question information analyse secteur entreprise territoire population emploi logement "
          "revenu santé éducation transport commerce énergie environnement conjoncture prix ménage").split()
EXTRAS = ["Mme Dupont m'a aidé.", "Merci à Julien.", "Écrivez-moi à a.b@example.org.", "Appelez le 06 12 34 56 78."]


def corpus(n: int, seed: int = 0) -> tuple[list[str], list[str], list[bool]]:
    """(texts, languages, dissatisfied) for ``n`` synthetic verbatims."""
    rng = random.Random(seed)
    names = list(THEMES)
    texts, langs, unhappy = [], [], []
    for i in range(n):
        theme = names[i % len(names)]
        phrase, words = THEMES[theme]
        parts = [phrase if rng.random() < 0.8 else "", " ".join(rng.sample(words.split(), rng.randint(2, 4))),
                 " ".join(rng.sample(FILLER, rng.randint(2, 8)))]
        if rng.random() < 0.05:
            parts.append(rng.choice(EXTRAS))
        texts.append(" ".join(p for p in parts if p))
        langs.append("en" if theme.endswith("_en") else "fr")
        unhappy.append(theme in ("délai", "speed_en", "api") or rng.random() < 0.1)
    return texts, langs, unhappy


def _pipeline(n: int) -> dict:
    import numpy as np

    from analysis.keyness import keyness
    from analysis.textprep import prepare_corpus
    from analysis.themes import fit_themes

    texts, langs, unhappy = corpus(n)
    started = time.perf_counter()
    cpu = time.process_time()
    prep = prepare_corpus(texts, langs)
    t_prep = time.perf_counter() - started
    result = fit_themes(prep.features, seed=0, min_df=5, texts=prep.masked)
    t_fit = time.perf_counter() - started - t_prep
    keyness(prep.features, np.array(unhappy), min_count=5)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "cpu_s": time.process_time() - cpu, "peak_mb": peak_mb, "k": result.k,
            "prepare_s": t_prep, "fit_s": t_fit}


def suggestion_ms(repeat: int = 200) -> float:
    """Median time of one suggestion (prepare + TF-IDF + one model per code), in milliseconds."""
    from analysis.suggest import train

    texts, langs, _ = corpus(300 + repeat, seed=1)
    names = list(THEMES)
    examples = [(t, lang, {i % len(names)}) for i, (t, lang) in enumerate(zip(texts[:300], langs[:300]))]
    suggester = train(examples)
    times = []
    for text, lang in zip(texts[300:], langs[300:]):
        t = time.perf_counter()
        suggester.suggest([text], [lang])
        times.append(time.perf_counter() - t)
    times.sort()
    return 1000 * times[len(times) // 2]


def run(n: int | None = None) -> list[dict]:
    """Records for ``python -m bench``'s summary (the pipeline in a child process)."""
    n = n or 100_000
    child = subprocess.run([sys.executable, "-m", "bench.bench_themes", "--child", "--n", str(n)],
                           capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"themes: {n:,} verbatims in {figures['seconds']:.1f} s (prepare {figures['prepare_s']:.1f} s, "
          f"themes {figures['fit_s']:.1f} s, k = {figures['k']}), peak {figures['peak_mb']:.0f} MB")
    ms = suggestion_ms()
    print(f"suggestion of a code for one verbatim: {ms:.2f} ms (median of 200)")
    return [
        {"name": "verbatims.themes (prepare + NMF + keyness)", "seconds": figures["seconds"],
         "cpu_s": figures["cpu_s"], "peak_mb": figures["peak_mb"], "rows": n,
         "target": f"<= {TARGET_S:g} s, <= {TARGET_MB:g} MB",
         "ok": figures["seconds"] <= TARGET_S and figures["peak_mb"] <= TARGET_MB},
        {"name": "verbatims.suggest one verbatim", "seconds": ms / 1000, "target": f"<= {TARGET_SUGGEST_MS:g} ms",
         "ok": ms <= TARGET_SUGGEST_MS},
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=int(os.environ.get("BENCH_THEMES_N", 100_000)))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_pipeline(args.n)))
        return
    for record in run(args.n):
        print(record)


if __name__ == "__main__":
    main()
