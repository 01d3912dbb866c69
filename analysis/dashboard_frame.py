"""The dashboards' frame of responses: :func:`analysis.frames.load` with wave codes for wave ids."""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from surveys.models import Wave

__all__ = ["load_frame"]


def load_frame(waves: Sequence[Wave], questions: Sequence[str] | None = None) -> pd.DataFrame:
    """``analysis.frames.load`` for these waves (complete responses; only ``questions`` when
    given), with the wave column as wave codes."""
    from . import frames

    if not waves:
        return pd.DataFrame(columns=["response_id", "wave", "category", "channel", "weight"])
    frame = frames.load(list(waves), questions=list(questions) if questions is not None else None)
    codes = {w.pk: w.code for w in waves}
    if len(frame) and "wave" in frame.columns:
        col = frame["wave"]
        values = set(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else set(pd.unique(col))
        if values and values <= set(codes):  # ids → codes
            frame["wave"] = pd.Categorical(frame["wave"].astype(object).map(codes),
                                           categories=[w.code for w in waves])
    return frame
