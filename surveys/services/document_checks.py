"""Typed checks of a JSON document's values, each naming the path of what it refuses: the
vocabulary :class:`surveys.services.document_validation._Validator` reads a questionnaire with."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .document_schema import CODE_RULES, MAX_ERRORS, MAX_NOMENCLATURE, MAX_TEXT, ROOT, _is_int


class _Stop(Exception):
    """Too many errors: stop collecting."""


class _Checks:
    """Collects `path: message` errors; stops (``_Stop``) after MAX_ERRORS."""

    errors: list[str]

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")
        if len(self.errors) >= MAX_ERRORS:
            raise _Stop

    def object(self, value: Any, path: str, keys: Mapping[str, bool]) -> bool:
        """An object with its required keys and no unknown key; False if it is not an object."""
        if not isinstance(value, Mapping):
            self.error(path, "must be an object")
            return False
        for key in value:
            if key not in keys:
                self.error(path, f'unknown key "{str(key)[:60]}"')
        for key, required in keys.items():
            if required and key not in value:
                self.error(key if path == ROOT else f"{path}.{key}", "required")
        return True

    def list(self, value: Any, path: str, *, max_items: int, non_empty: bool = False) -> list:
        if not isinstance(value, list):
            self.error(path, "must be a list")
            return []
        if non_empty and not value:
            self.error(path, "must not be empty")
        if len(value) > max_items:
            self.error(path, f"too many items ({len(value)}, at most {max_items})")
            return []
        return value

    def string(self, value: Any, path: str, *, max_length: int, required: bool = False) -> bool:
        if not isinstance(value, str):
            self.error(path, "must be a string")
            return False
        if "\x00" in value:
            self.error(path, "contains a NUL character")
            return False
        if len(value) > max_length:
            self.error(path, f"too long ({len(value)} characters, at most {max_length})")
            return False
        if required and not value.strip():
            self.error(path, "must not be empty")
            return False
        return True

    def text(self, value: Any, path: str, *, max_length: int = MAX_TEXT, required: bool = False) -> None:
        """A bilingual text {"fr": ..., "en": ...}: French required when the text is."""
        if not self.object(value, path, {"fr": True, "en": False}):
            return
        if "fr" in value:
            self.string(value["fr"], f"{path}.fr", max_length=max_length, required=required)
        if "en" in value:
            self.string(value["en"], f"{path}.en", max_length=max_length)

    def code(self, value: Any, path: str, pattern: re.Pattern, max_length: int, what: str) -> bool:
        """A code (slug, question code...) matching `pattern`, at most `max_length` characters."""
        if not isinstance(value, str):
            self.error(path, "must be a string")
            return False
        if not value or len(value) > max_length or not pattern.match(value):
            rule = CODE_RULES[pattern]
            self.error(path, f'invalid {what} "{value[:60]}" ({rule}, at most {max_length} characters)')
            return False
        return True

    def boolean(self, obj: Mapping, key: str, path: str) -> None:
        if key in obj and not isinstance(obj[key], bool):
            self.error(f"{path}.{key}", "must be true or false")

    def integer(self, obj: Mapping, key: str, path: str, low: int, high: int, nullable: bool = False) -> None:
        if key not in obj or (nullable and obj[key] is None):
            return
        value = obj[key]
        if not _is_int(value):
            self.error(f"{path}.{key}", "must be an integer")
        elif not low <= value <= high:
            self.error(f"{path}.{key}", f"must be between {low} and {high}")

    def references(self, value: Any, path: str, known: set[str], what: str, *, within: set[str] | None = None,
                   within_name: str = "") -> list[str]:
        codes = []
        for i, code in enumerate(self.list(value, path, max_items=MAX_NOMENCLATURE)):
            p = f"{path}[{i}]"
            if not isinstance(code, str):
                self.error(p, "must be a string")
            elif code not in known:
                self.error(p, f'unknown {what} "{code[:60]}"')
            elif code in codes:
                self.error(p, f'duplicate {what} "{code}"')
            elif within and code not in within:
                self.error(p, f'{what} "{code}" is not among {within_name}')
            else:
                codes.append(code)
        return codes
