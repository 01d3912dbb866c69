"""Contact details and identifiers masked out of free text, before anyone reads it.

Pure Python (no Django), so the analysis core can apply the very rule used at storage. Each kind
of identifier is found by a well-kept library rather than a hand-written pattern wherever one
exists: ``phonenumbers`` (Google's libphonenumber) for phone numbers in any country's format,
``python-stdnum`` for the check digits of IBANs and French social security numbers (NIR), so a
run of digits that merely looks like one (a year, a count, an amount) stays readable.
"""

from __future__ import annotations

import re

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.fr import nir as stdnum_nir

__all__ = ["EMAIL_MARK", "PHONE_MARK", "IBAN_MARK", "NIR_MARK", "mask_contacts"]

EMAIL_MARK = "[courriel masqué]"
PHONE_MARK = "[téléphone masqué]"
IBAN_MARK = "[IBAN masqué]"
NIR_MARK = "[NIR masqué]"

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# French numbers as people type them (06 12 34 56 78, 06.12.34.56.78, 0612345678, +33 6 …): kept
# beside libphonenumber, which rejects unassigned ranges that people still write in comments.
FRENCH_PHONE_RE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?|0)\d(?:[\s.-]?\d{2}){4}(?![\w])")
# Two letters, two check digits, then 10 to 30 letters or digits, in groups of up to 4 or not.
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){10,30}\b")
# NIR: sex, year, month, department (2A/2B for Corsica), commune, order, optional key.
NIR_RE = re.compile(
    r"(?<!\d)[12378][\s.]?\d{2}[\s.]?(?:0[1-9]|1[0-2]|[2-9]\d)[\s.]?(?:\d{2}|2[AB])[\s.]?\d{3}"
    r"[\s.]?\d{3}(?:[\s.]?\d{2})?(?!\d)",
    re.IGNORECASE,
)


def _mask_checked(text: str, pattern: re.Pattern[str], is_valid, mark: str) -> str:
    """Replace the longest start of each candidate of ``pattern`` that passes the library's check
    digits (a greedy candidate may have swallowed the next word: "… 189 SVP")."""

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        for end in range(len(found), 0, -1):
            if end < len(found) and not found[end].isspace() and found[end] != ".":
                continue  # only cut between groups
            if is_valid(re.sub(r"[\s.]", "", found[:end])):
                return mark + found[end:]
        return found

    return pattern.sub(replace, text)


def _mask_phones(text: str, region: str) -> str:
    """International numbers through libphonenumber, then the French typed forms."""
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, region)]
    for start, end in reversed(spans):
        text = text[:start] + PHONE_MARK + text[end:]
    return FRENCH_PHONE_RE.sub(PHONE_MARK, text)


def mask_contacts(text: str, region: str = "FR") -> str:
    """E-mails, IBANs, NIRs and phone numbers replaced by markers (identifiers first: their digits
    would otherwise be read as phone numbers)."""
    if not text:
        return text
    text = EMAIL_RE.sub(EMAIL_MARK, text)
    text = _mask_checked(text, IBAN_RE, stdnum_iban.is_valid, IBAN_MARK)
    text = _mask_checked(text, NIR_RE, stdnum_nir.is_valid, NIR_MARK)
    return _mask_phones(text, region)
