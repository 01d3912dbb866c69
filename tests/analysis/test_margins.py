"""The margins file parser: accepted forms, and every refusal names its line and field."""

from __future__ import annotations

import pytest

from analysis.margins import MarginsError, margins_parse, margins_shares

ALLOWED = {"category": ["researchers", "journalists", "general_public"], "channel": ["website", "contact_service"],
           "REGION": ["idf", "other"]}


def parse(text, answered=None):
    return margins_parse(text, ALLOWED, answered)


def test_shares_and_counts_are_read_per_variable():
    m = parse("variable,category,target\ncategory,researchers,0.5\ncategory,journalists,0.2\n"
              "category,general_public,0.3\nchannel,website,700\nchannel,contact_service,300\n")
    assert m.kinds == {"category": "shares", "channel": "counts"}
    assert margins_shares(m.targets)["channel"] == {"website": 0.7, "contact_service": 0.3}
    assert m.lines == {"category": 2, "channel": 5}


def test_semicolons_and_decimal_commas_from_a_french_spreadsheet():
    m = parse("\ufeffvariable;category;target\r\nchannel;website;0,6\r\nchannel;contact_service;0,4\r\n")
    assert m.targets == {"channel": {"website": 0.6, "contact_service": 0.4}}


def test_shares_within_the_tolerance_are_accepted():
    m = parse("variable,category,target\nchannel,website,0.6004\nchannel,contact_service,0.4\n")
    assert m.kinds["channel"] == "shares"


@pytest.mark.parametrize("text,line,field,message", [
    ("variable,category\nchannel,website\n", 1, None, "header"),
    ("", 1, None, "empty"),
    ("variable,category,target\n", 2, None, "no margin"),
    ("variable,category,target\nchannel,website,0.5\nregion,idf,1\n", 3, "variable", "unknown variable 'region'"),
    ("variable,category,target\nchannel,website,0.5\nchannel,fax,0.5\n", 3, "category", "unknown category 'fax'"),
    ("variable,category,target\nchannel,website,0.5\nchannel,contact_service,-0.5\n", 3, "target", "non-negative"),
    ("variable,category,target\nchannel,website,abc\n", 2, "target", "not a number"),
    ("variable,category,target\nchannel,website,0.5\nchannel,website,0.5\n", 3, "category", "repeats line 2"),
    ("variable,category,target\nchannel,website,0.5\nchannel,contact_service,0.45\n", 3, "target",
     r"sum to 0\.95, not 1"),
    ("variable,category,target\nchannel,website,0.5,extra\n", 2, None, "expected 3 fields"),
    ("variable,category,target\nchannel,website,0\nchannel,contact_service,0\n", 3, "target", "sum to 0"),
])
def test_bad_files_are_refused_with_line_and_field(text, line, field, message):
    with pytest.raises(MarginsError, match=message) as exc:
        parse(text)
    assert exc.value.line == line and exc.value.field == field
    assert str(exc.value).startswith(f"line {line}")


def test_a_variable_nobody_answered_is_refused_at_its_first_line():
    text = "variable,category,target\nchannel,website,0.5\nchannel,contact_service,0.5\nREGION,idf,0.4\nREGION,other,0.6\n"
    with pytest.raises(MarginsError, match="no respondent .* 'REGION'") as exc:
        parse(text, answered={"channel": 10, "REGION": 0})
    assert (exc.value.line, exc.value.field) == (4, "variable")
    assert parse(text, answered={"channel": 10, "REGION": 3}).kinds["REGION"] == "shares"


def test_bytes_that_are_not_utf8_are_refused():
    with pytest.raises(MarginsError, match="not UTF-8"):
        parse(b"variable,category,target\nchannel,caf\xe9,1\n")
