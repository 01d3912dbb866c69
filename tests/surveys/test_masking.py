"""Identifiers typed into free text are masked at storage and before analysis, per format."""

import pytest

from analysis.textprep import mask_text
from surveys.masking import IBAN_MARK, NIR_MARK, PHONE_MARK, mask_contacts


def _nir_key(first_13: str) -> str:
    """The NIR key computed by hand: 97 − (number mod 97), Corsica's 2A/2B read as 19/18."""
    digits = first_13.replace("2A", "19").replace("2B", "18")
    return f"{97 - int(digits) % 97:02d}"


@pytest.mark.parametrize("number", [
    "+44 20 7946 0958",          # United Kingdom
    "+1 (415) 555-2671",         # United States
    "+49 30 901820",             # Germany, short subscriber number
    "+32 2 511 00 00",           # Belgium
    "06 12 34 56 78",            # French mobile, spaced
    "06.12.34.56.78",            # French mobile, dotted
    "0612345678",                # French mobile, compact
    "+33 1 23 45 67 89",         # French landline, international form
])
def test_phone_numbers_of_any_country_are_masked(number):
    assert mask_contacts(f"Rappelez-moi au {number} merci") == f"Rappelez-moi au {PHONE_MARK} merci"


@pytest.mark.parametrize("iban", [
    "FR76 3000 6000 0112 3456 7890 189",
    "FR7630006000011234567890189",
    "DE89 3704 0044 0532 0130 00",
    "GB82 WEST 1234 5698 7654 32",
])
def test_ibans_with_valid_check_digits_are_masked(iban):
    assert mask_contacts(f"Remboursez sur {iban} svp") == f"Remboursez sur {IBAN_MARK} svp"


def test_a_string_shaped_like_an_iban_but_with_wrong_check_digits_is_left_alone():
    text = "Référence FR00 3000 6000 0112 3456 7890 189"
    assert IBAN_MARK not in mask_contacts(text)


@pytest.mark.parametrize("first_13", ["1841276451089", "2550819123456", "255082A123456"])
def test_french_social_security_numbers_are_masked_in_the_ways_people_write_them(first_13):
    nir = first_13 + _nir_key(first_13)
    spaced = " ".join([nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]])
    for written in (nir, spaced):
        assert mask_contacts(f"Mon numéro de sécu : {written}.") == f"Mon numéro de sécu : {NIR_MARK}."


def test_a_nir_with_a_wrong_key_is_not_called_a_nir():
    first_13 = "1841276451089"
    wrong = f"{(int(_nir_key(first_13)) % 97) + 1:02d}"
    assert NIR_MARK not in mask_contacts(f"code {first_13}{wrong}")


@pytest.mark.parametrize("text", [
    "En 2024, 12 345 personnes ont consulté 1 200 000 pages.",
    "Le tableau 3.2 de la publication 2025-07 page 14.",
    "Budget de 3 000 000 euros sur 5 ans",
])
def test_numbers_that_are_not_identifiers_stay_readable(text):
    assert mask_contacts(text) == text


def test_analysis_applies_the_same_masking_as_storage():
    text = "IBAN FR76 3000 6000 0112 3456 7890 189, tél +44 20 7946 0958"
    assert mask_text(text) == mask_contacts(text)
    assert IBAN_MARK in mask_text(text) and PHONE_MARK in mask_text(text)


def test_storage_masks_with_the_same_rule():
    from surveys.services.privacy import mask_personal_data

    text = "NIR 1 84 12 76 451 089 46, IBAN DE89 3704 0044 0532 0130 00, +1 (415) 555-2671"
    assert mask_personal_data(text) == f"NIR {NIR_MARK}, IBAN {IBAN_MARK}, {PHONE_MARK}"
