"""Building the frame while the answers arrive (:class:`_Builder`, :func:`_build`).

Every answer goes on its response's row by a hash lookup of the response ids, scores into a
dense numpy block (question × response) by vectorised assignments: no pandas pivot, no loop per
answer, no copy of all the answer rows at once. Choice and matrix answers (JSON) are parsed once
per *distinct* JSON text. Nothing here computes a statistic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from surveys.models import QuestionType

from .ids import _as, _hash_words, _key_words, _plain, _uuid_column
from .packed import _Packed
from .plan import Labels
from .questions import NUMERIC_TYPES, SCORE_TYPES, TEXT_TYPES, _Question

def _categorical(ids: pa.ChunkedArray | pa.Array, labels: dict[int, tuple[str, int]]) -> pd.Categorical:
    """Foreign-key ids as a Categorical of codes, categories (the observed ones) in display order."""
    arr = _as(ids, pa.int64())
    valid = ~np.asarray(arr.is_null()) if arr.null_count else None
    values = arr.fill_null(0).to_numpy(zero_copy_only=False) if arr.null_count else arr.to_numpy()
    present = values if valid is None else values[valid]
    small = bool(values.size) and values.min() >= 0 and values.max() < 1 << 20  # ids: by a table, no sort
    seen = np.flatnonzero(np.bincount(present)) if small else np.unique(present)
    observed = [int(i) for i in seen if int(i) in labels]
    ordered = sorted(observed, key=lambda i: (labels[i][1] is None, labels[i][1] or 0, labels[i][0]))
    categories = pd.Index([labels[i][0] for i in ordered], dtype="str")
    if not ordered:
        return pd.Categorical.from_codes(np.full(len(values), -1, dtype=np.int8), categories=categories)
    if small:
        table = np.full(int(values.max()) + 1, -1, dtype=np.int8 if len(ordered) < 127 else np.int64)
        table[ordered] = np.arange(len(ordered))
        codes = table[values]
        if valid is not None:
            codes[~valid] = -1
        return pd.Categorical.from_codes(codes, categories=categories)
    valid = np.ones(len(values), dtype=bool) if valid is None else valid
    keys = np.array(sorted(observed), dtype=np.int64)
    rank = np.empty(len(keys), dtype=np.int64)
    rank[np.searchsorted(keys, ordered)] = np.arange(len(ordered))
    pos = np.clip(np.searchsorted(keys, values), 0, len(keys) - 1)
    found = valid & (keys[pos] == values)
    codes = np.where(found, rank[pos], -1)
    return pd.Categorical.from_codes(codes, categories=categories)


def _score_column(values: np.ndarray, integral_scale: bool) -> np.ndarray:
    """float32 when every answer is an integer of a scale (exact in float32); float64 otherwise."""
    present = values[~np.isnan(values)]
    if integral_scale and not (present.size and (np.any(present != np.rint(present))
                                                 or np.abs(present).max() > 2**24)):
        return values.astype(np.float32)
    return values.copy()  # not a view: the dense block it comes from can be freed


def _id_index(rid: pa.Array) -> tuple[np.ndarray | None, pd.Index | None, list[np.ndarray]]:
    """The responses' ids, as the reader gives them, in a hash table (see :meth:`_Builder._rows`):
    their raw words, the index of their mixes (None when they are not all UUIDs, or when two ids
    share their 64-bit mix, astronomically rare: then matched as texts), and the words but the last
    as contiguous columns (what :meth:`_Builder._same` compares)."""
    words = _key_words(rid)
    if words is None:
        return None, None, []
    r_words = np.concatenate(words) if words else np.zeros((0, 2), dtype=np.uint64)
    index = pd.Index(_hash_words(r_words))
    if not index.is_unique:
        return r_words, None, []
    return r_words, index, [np.ascontiguousarray(r_words[:, k]) for k in range(r_words.shape[1] - 1)]


def _spread(positions: np.ndarray, n: int, values: pa.Array) -> pa.Array:
    """A length-n array: ``values[k]`` at row ``positions[k]``, null elsewhere."""
    take = np.full(n, -1, dtype=np.int64)
    take[positions] = np.arange(len(positions))
    return values.take(pa.array(take, mask=take < 0))


class _Builder:
    """The frame, built as the data comes: the responses first, then the answers batch by batch."""

    def __init__(self, questions: list[_Question], responses: pa.Table, labels: Labels, wave_ids: list[int]):
        self.questions = questions
        self.n = n = responses.num_rows
        weight = _as(responses.column("weight"), pa.float64()).to_numpy(zero_copy_only=False)
        waves = {pk: (code, wave_ids.index(pk) if pk in wave_ids else len(wave_ids))
                 for pk, (code, _order) in labels["wave"].items()}  # in the order asked for
        response_id = _uuid_column(responses.column("rid"))
        self.columns: dict[str, object] = {
            "response_id": (response_id if response_id is not None  # else not UUIDs: as they are
                            else _as(responses.column("rid"), pa.string()).to_pandas()),
            "wave": _categorical(responses.column("wave_id"), waves),
            "category": _categorical(responses.column("category_id"), labels["category"]),
            "channel": _categorical(responses.column("channel_id"), labels["channel"]),
            "weight": np.where(np.isnan(weight), 1.0, weight) if np.isnan(weight).any() else weight,
        }
        self.r_rid = _plain(responses.column("rid"))
        self.r_words, self.index, self.r_columns = _id_index(self.r_rid)
        # question id -> position; numeric answers go to a dense block (question x response)
        ids = np.array([q.id for q in questions], dtype=np.int64)
        self.lookup = np.full(int(ids.max(initial=0)) + 2, -1, dtype=np.int64)
        self.lookup[ids] = np.arange(len(questions))
        numeric = [j for j, q in enumerate(questions) if q.type in NUMERIC_TYPES]
        self.slot = np.full(len(questions), -1, dtype=np.int64)
        self.slot[numeric] = np.arange(len(numeric))
        self.dense = np.full((len(numeric), n), np.nan)  # each question's column is contiguous
        self.parts: dict[int, list[tuple[np.ndarray, pa.Array]]] = {
            j: [] for j, q in enumerate(questions) if q.type not in NUMERIC_TYPES}

    def _rows(self, rid: pa.Array) -> np.ndarray:
        """The response row of each answer (-1: a response not loaded: other wave, partial...).

        Answers come in runs that share a response (its answers are written together), so only
        the first answer of each run is looked up — by a 64-bit mix of the id's raw words in the
        hash table of the responses — then checked (:meth:`_same`): exact, whatever the mix."""
        words = _key_words(rid) if self.index is not None else None
        if words is None or (words and words[0].shape[1] != self.r_words.shape[1]):
            return self._rows_by_value(rid)
        if not words:
            return np.zeros(0, dtype=np.int64)
        return self._rows_of_words(words[0] if len(words) == 1 else np.concatenate(words))

    def _rows_by_value(self, rid: pa.Array) -> np.ndarray:
        found = pc.index_in(rid, value_set=self.r_rid)
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)

    def _rows_of_words(self, w: np.ndarray) -> np.ndarray:
        """Rows of ids given as raw words (m, W), looking up only the first of each run."""
        starts, heads = None, w
        if len(w) > 1:
            new = np.empty(len(w), dtype=bool)
            new[0] = True
            np.not_equal(w[1:, 0], w[:-1, 0], out=new[1:])
            for k in range(1, w.shape[1]):
                new[1:] |= w[1:, k] != w[:-1, k]
            starts = np.flatnonzero(new)
            heads = w[starts]
        pos = self.index.get_indexer(_hash_words(heads))
        pos[~self._same(pos, heads)] = -1
        if starts is None or len(starts) == len(w):
            return pos
        return np.repeat(pos, np.diff(np.append(starts, len(w))))

    def _same(self, pos: np.ndarray, words: np.ndarray) -> np.ndarray:
        """Whether each id found by its mix at ``pos`` (-1: not found) is the id of ``words``.
        Exact: equal mixes and all the words but the last equal are equal ids (the mix multiplies
        the last word by an odd constant, one-to-one), so the last word need not be compared."""
        hit = pos >= 0
        at = np.where(hit, pos, 0)
        for k, column in enumerate(self.r_columns):
            hit &= column[at] == words[:, k]
        return hit

    def add(self, item: pa.RecordBatch | _Packed) -> None:
        if isinstance(item, _Packed):
            self._place(item)
        elif item.num_rows:
            self._add_batch(item)

    def _place(self, packed: _Packed) -> None:
        """Packed numeric answers: all their ids looked up at once (one call: cheaper per id),
        then each question's values scattered into its row of the dense block."""
        fast = self.index is not None and self.r_words.shape[1] == 2
        found = self.index.get_indexer(packed.mixes) if fast else None
        start = 0
        for qid, words, values in packed.pieces:
            j = self.lookup[qid] if 0 <= qid < len(self.lookup) else -1
            stop = start + len(words)
            if fast:
                rows = found[start:stop]
                hit = self._same(rows, words)
            else:
                rid = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(words),
                                                           [None, pa.py_buffer(np.ascontiguousarray(words))])
                rows = self._rows_by_value(rid)
                hit = rows >= 0
            start = stop
            if j < 0 or self.slot[j] < 0:
                continue
            if not hit.all():
                rows, values = rows[hit], values[hit]
            self.dense[self.slot[j]][rows] = values

    def _add_batch(self, batch: pa.RecordBatch) -> None:
        row = self._rows(_plain(batch.column("rid")))
        qid = _as(batch.column("qid"), pa.int64()).to_numpy(zero_copy_only=False)
        col = self.lookup.take(qid, mode="clip")  # -1 (other questions) at both ends
        keep = (row >= 0) & (col >= 0)
        if not keep.all():
            row, col = row[keep], col[keep]
            batch = batch.filter(pa.array(keep))
        target = self.slot[col]
        numeric = target >= 0
        value = _as(batch.column("value"), pa.float64()).to_numpy(zero_copy_only=False)
        if not numeric.all():
            value, where, target = value[numeric], row[numeric], target[numeric]
        else:
            where = row
        target *= self.n
        target += where
        self.dense.ravel()[target] = value  # the scatter: one vectorised assignment per batch
        for j, parts in self.parts.items():
            take = np.flatnonzero(col == j)
            if take.size:
                name = "text" if self.questions[j].type in TEXT_TYPES else "codes"
                parts.append((row[take], _plain(batch.column(name)).take(pa.array(take))))

    def frame(self) -> pd.DataFrame:
        """The frame, once every item is added: one or more columns per question."""
        columns = self.columns
        for j, q in enumerate(self.questions):
            if q.type in NUMERIC_TYPES:
                columns[q.code] = _score_column(self.dense[self.slot[j]], q.type in SCORE_TYPES)
                continue
            parts = self.parts[j]
            rows_q = np.concatenate([r for r, _v in parts]) if parts else np.zeros(0, dtype=np.int64)
            values = (pa.concat_arrays([_as(v, pa.string()) for _r, v in parts]) if parts
                      else pa.array([], pa.string()))
            if q.type in TEXT_TYPES:
                columns[q.code] = _text_column(q, _spread(rows_q, self.n, values))
            else:
                columns.update(_json_columns(q, rows_q, values, self.n))
        return pd.DataFrame(columns, copy=False)


def _text_column(q: _Question, texts: pa.Array):
    """Single choice: a Categorical of choice codes (the question's first, in order); text: ``str``."""
    if q.type != QuestionType.SINGLE:
        return texts.to_pandas()
    cat = pd.Categorical(texts.to_pandas())
    extra = [c for c in cat.categories if c not in q.choices]
    return cat.set_categories(pd.Index(q.choices + extra, dtype="str"))


def _json_columns(q: _Question, rows_q: np.ndarray, values: pa.Array, n: int) -> dict[str, object]:
    """Multiple choice / matrix: one column per choice or item, each distinct JSON text parsed once."""
    encoded = pc.dictionary_encode(values)
    parsed = [_parse_json(t) for t in encoded.dictionary.to_pylist()]
    idx = encoded.indices.to_numpy(zero_copy_only=False)
    has = ~pd.isna(idx)
    idx = np.where(has, idx, 0).astype(np.int64)[has]
    ok = rows_q[has]
    columns: dict[str, object] = {}
    for choice in q.choices:
        name = f"{q.code}__{choice}"
        if q.type == QuestionType.MULTIPLE:
            per = np.array([isinstance(p, list) and choice in p for p in parsed] or [False], dtype=bool)
            data, na = np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
            data[ok] = per[idx]
            na[ok] = False
            columns[name] = pd.arrays.BooleanArray(data, na)
        else:
            per = np.array([_item_score(p, choice) for p in parsed] or [np.nan], dtype=np.float64)
            scores = np.full(n, np.nan)
            scores[ok] = per[idx]
            columns[name] = _score_column(scores, True)
    return columns


def _build(questions: list[_Question], wave_ids: list[int]) -> Callable:
    """The callback a reader calls with (labels, items) to get the frame. ``items`` gives the
    responses (one ``pa.Table``) and the answers (``pa.RecordBatch`` or :class:`_Packed`) in any
    order: answers that come before the responses wait for them."""
    def build(labels: Labels, items: Iterable[pa.Table | pa.RecordBatch | _Packed]) -> pd.DataFrame:
        builder, early = None, []
        for item in items:
            if isinstance(item, pa.Table):
                builder = _Builder(questions, item, labels, wave_ids)
                for piece in early:
                    builder.add(piece)
                early = []
            elif builder is None:
                early.append(item)
            else:
                builder.add(item)
            del item
        if builder is None:
            raise RuntimeError("the reader gave no responses")
        return builder.frame()

    return build


def _parse_json(text: str | None):
    if text is None:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def _item_score(parsed, item: str) -> float:
    v = parsed.get(item) if isinstance(parsed, dict) else None
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        return np.nan
    try:
        return float(v)
    except ValueError:
        return np.nan


def _empty_frame(questions: list[_Question]) -> pd.DataFrame:
    responses = pa.table({"rid": pa.array([], pa.string()), "wave_id": pa.array([], pa.int64()),
                          "category_id": pa.array([], pa.int64()), "channel_id": pa.array([], pa.int64()),
                          "weight": pa.array([], pa.float64())})
    return _build(questions, [])({"wave": {}, "category": {}, "channel": {}}, [responses])
