"""Copy front-end assets from installed packages into static/vendor/ (no CDN: closed networks).

plotly.js comes from the installed plotly package itself, so the Python figures and the JS that
draws them always match (a mismatched plotly.js draws blank charts).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import plotly.offline

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"


def plotly_js() -> str:
    return plotly.offline.get_plotlyjs()


def main() -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    target = VENDOR / "plotly.min.js"
    content = plotly_js().encode("utf-8")
    if not target.exists() or hashlib.sha256(target.read_bytes()).digest() != hashlib.sha256(content).digest():
        target.write_bytes(content)
        print(f"vendored plotly.js {plotly.__version__} -> {target}")


if __name__ == "__main__":
    import plotly

    main()
