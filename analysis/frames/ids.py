"""Arrow columns and response ids without a Python loop per row.

Response ids come as 16 bytes (PostgreSQL) or as 32 hex digits (how Django stores a UUID on
SQLite); the builder matches answers to responses on their raw words (:func:`_key_words`,
:func:`_hash_words`) and writes ``response_id`` as canonical text (:func:`_uuid_column`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

def _plain(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One contiguous array, extension types (uuid, json) reduced to their storage."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if isinstance(col.type, pa.BaseExtensionType):
        col = col.storage
    return col


def _as(col, typ: pa.DataType) -> pa.Array:
    col = _plain(col)
    return col if col.type == typ else col.cast(typ)


_NIBBLE = np.full(256, 255, dtype=np.uint8)  # ASCII hex digit -> its value (255: not a digit)
_NIBBLE[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_NIBBLE[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16)
_NIBBLE[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16)
_HEX_GROUPS = [(0, 8), (9, 13), (14, 18), (19, 23), (24, 36)]  # the hex digits of 8-4-4-4-12
_HEX2 = np.array([int.from_bytes(f"{i:02x}".encode(), "little") for i in range(256)], dtype="<u2")  # byte -> 2 digits
_LOWER_HEX = np.zeros(256, dtype=bool)
_LOWER_HEX[np.frombuffer(b"0123456789abcdef", np.uint8)] = True


def _binary16(arr: pa.Array) -> np.ndarray:
    """The values of a ``fixed_size_binary(16)`` array as an (n, 16) uint8 view of its buffer."""
    n = len(arr)
    return np.frombuffer(arr.buffers()[1], dtype=np.uint8)[16 * arr.offset:16 * (arr.offset + n)].reshape(n, 16)


def _fixed_text(arr: pa.Array, widths: tuple[int, ...]) -> np.ndarray | None:
    """The values of a non-empty string array as an (n, width) uint8 view of its buffer, when
    they all have the same length in bytes and it is one of ``widths``; else None."""
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset:arr.offset + n + 1]
    width = int(offsets[1] - offsets[0])
    if width not in widths or offsets[-1] - offsets[0] != width * n or np.any(np.diff(offsets) != width):
        return None
    return np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(n, width)


def _uuid_chunk_bytes(arr: pa.Array) -> np.ndarray | None:
    """(n, 16) uint8 from one Arrow array of UUIDs: 16 bytes (PostgreSQL), or text of 32 hex digits
    (how Django stores a UUID on SQLite) or 36 (canonical); None for anything else."""
    if isinstance(arr.type, pa.BaseExtensionType):
        arr = arr.storage
    n = len(arr)
    if arr.null_count:
        return None
    if n == 0:
        return np.zeros((0, 16), dtype=np.uint8)
    if pa.types.is_fixed_size_binary(arr.type) and arr.type.byte_width == 16:
        return _binary16(arr)
    if not pa.types.is_string(arr.type):
        return None
    text = _fixed_text(arr, (32, 36))
    if text is None:
        return None
    if text.shape[1] == 36:
        if np.any(text[:, [8, 13, 18, 23]] != ord("-")):
            return None
        text = np.concatenate([text[:, a:b] for a, b in _HEX_GROUPS], axis=1)
    nibbles = _NIBBLE[text]
    if np.any(nibbles == 255):
        return None
    return (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]


def _uuid_bytes(col: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """All the UUIDs of a column as one (n, 16) uint8 array, or None if they are not all UUIDs."""
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    parts = []
    for chunk in chunks:
        part = _uuid_chunk_bytes(chunk)
        if part is None:
            return None
        parts.append(part)
    return np.concatenate(parts) if parts else np.zeros((0, 16), dtype=np.uint8)


def _uuid_strings(raw: np.ndarray) -> pd.Series:
    """Canonical UUID text (8-4-4-4-12, lowercase) of (n, 16) bytes, without a Python loop."""
    return _dashed(_HEX2[raw].view(np.uint8).reshape(len(raw), 32))


def _dashed(digits: np.ndarray) -> pd.Series:
    """(n, 32) lowercase hex digits (ASCII) as canonical UUID text: a ``str`` Series."""
    n = len(digits)
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    start = 0
    for a, b in _HEX_GROUPS:
        out[:, a:b] = digits[:, start:start + b - a]
        start += b - a
    offsets = pa.py_buffer(np.arange(0, 36 * (n + 1), 36, dtype=np.int32))
    return pa.Array.from_buffers(pa.string(), n, [None, offsets, pa.py_buffer(out)]).to_pandas()


def _uuid_column(col: pa.ChunkedArray | pa.Array) -> pd.Series | None:
    """The ``response_id`` column: canonical UUID text of every id of ``col``, or None if they
    are not all UUIDs. Text of 32 lowercase hex digits (how Django stores a UUID on SQLite) only
    gets its dashes; any other form goes through the bytes."""
    parts = []
    for arr in (col.chunks if isinstance(col, pa.ChunkedArray) else [col]):
        arr = arr.storage if isinstance(arr.type, pa.BaseExtensionType) else arr
        n = len(arr)
        if n and not arr.null_count and pa.types.is_string(arr.type):
            text = _fixed_text(arr, (32,))
            if text is not None:
                if _LOWER_HEX[text].all():
                    parts.append(text)
                    continue
        raw = _uuid_chunk_bytes(arr)
        if raw is None:
            return None
        parts.append(_HEX2[raw].view(np.uint8).reshape(n, 32))
    return _dashed(parts[0] if len(parts) == 1 else np.concatenate(parts or [np.zeros((0, 32), np.uint8)]))


def _key_words(col: pa.ChunkedArray | pa.Array) -> list[np.ndarray] | None:
    """The raw bytes of each UUID as unsigned 64-bit words, one (m, W) array per chunk: W = 2 for
    16 bytes (PostgreSQL), 4 for 32 hex digits (SQLite). Nothing is decoded: the reader gives both
    tables in the same form, so equal words are equal ids. None for any other form."""
    out = []
    for arr in (col.chunks if isinstance(col, pa.ChunkedArray) else [col]):
        if isinstance(arr.type, pa.BaseExtensionType):
            arr = arr.storage
        m = len(arr)
        if arr.null_count:
            return None
        if m == 0:
            continue
        if pa.types.is_fixed_size_binary(arr.type) and arr.type.byte_width == 16:
            raw = _binary16(arr)
        elif pa.types.is_string(arr.type):
            raw = _fixed_text(arr, (32,))
            if raw is None:
                return None
        else:
            return None
        out.append(raw.view(np.uint64).reshape(m, -1))
    return out


_MIX = np.array([1, 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)


def _hash_words(words: np.ndarray) -> np.ndarray:
    h = words[:, 0].copy()
    for k in range(1, words.shape[1]):
        h ^= words[:, k] * _MIX[k]
    return h
