"""Records packed by the PostgreSQL server (:func:`.plan._packed_sql`), as numpy views."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .ids import _hash_words, _plain
from .plan import _NO_ID

@dataclass
class _Packed:
    """Numeric answers as the server packed them (:func:`_packed_sql`): per question, the raw 16
    bytes of each answer's response id as two uint64 words (shape (m, 2)) and the values (big-
    endian), both views of the server's bytes; and the mixes (:func:`_hash_words`) of all the ids,
    the questions one after the other."""
    pieces: list[tuple[int, np.ndarray, np.ndarray]]
    mixes: np.ndarray


_PACKED = np.dtype([("rid", np.uint64, (2,)), ("value", ">f8")])
_PACKED_RESPONSE = np.dtype([("rid", "V16"), ("wave_id", ">i8"), ("category_id", ">i8"), ("channel_id", ">i8"),
                             ("weight", ">f8")])


def _unpack_responses(table: pa.Table) -> pa.Table:
    """The result of :func:`_packed_responses_sql` as the responses table the builder takes."""
    packed = _plain(table.column(0))
    data = packed[0].as_buffer() if len(packed) and packed[0].is_valid else b""
    records = np.frombuffer(data, dtype=_PACKED_RESPONSE)
    n = len(records)
    channel = records["channel_id"].astype(np.int64)
    none = channel == _NO_ID
    return pa.table({
        "rid": pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), n, [None, pa.py_buffer(records["rid"].copy())]),
        "wave_id": pa.array(records["wave_id"].astype(np.int64)),
        "category_id": pa.array(records["category_id"].astype(np.int64)),
        "channel_id": pa.array(channel, mask=none) if none.any() else pa.array(channel),
        "weight": pa.array(records["weight"].astype(np.float64)),
    })


def _unpack(table: pa.Table) -> _Packed:
    """The result of :func:`_packed_sql` (question id, bytea) as numpy arrays (in the reading
    thread: the ids' mixes too, so that the builder only looks them up)."""
    qids = table.column(0).to_pylist()
    packed = _plain(table.column(1))
    pieces = []
    for i, qid in enumerate(qids):
        if qid is not None and packed[i].is_valid:
            records = np.frombuffer(packed[i].as_buffer(), dtype=_PACKED)
            pieces.append((int(qid), records["rid"], records["value"]))
    mixes = [_hash_words(words) for _qid, words, _values in pieces]
    return _Packed(pieces, np.concatenate(mixes) if mixes else np.zeros(0, dtype=np.uint64))
