"""flowred.nodes.codecs.csv_text called directly: the RFC 4180 reader and writer, the legacy
reader, numbers and templates, and the errors (the csv node's own tests cover msgs, sequences
and header state)."""
from __future__ import annotations

import pytest

from flowred.nodes.codecs.csv_text import (
    CsvError,
    CsvSyntaxError,
    LegacyReader,
    RfcReader,
    legacy_array_line,
    legacy_columns,
    legacy_number,
    rfc_array_line,
    rfc_header_line,
    rfc_number,
    rfc_object_line,
    rfc_objects,
    rfc_template,
)


def test_rfc_rows_written_and_read_back_are_the_same():
    rows = [{"name": 'say "hi"', "note": "a,b", "text": "two\r\nlines", "n": 3}, {"name": "x", "note": "", "n": -1.5}]
    template = ["name", "note", "text", "n"]
    text = "\r\n".join([rfc_header_line(template)] + [rfc_object_line(r, template, ",") for r in rows]) + "\r\n"
    assert text == 'name,note,text,n\r\n"say ""hi""","a,b","two\r\nlines",3\r\nx,,,-1.5\r\n'
    records, end = RfcReader(",").rows(text)
    assert end == len(text)
    assert records[0] == template
    assert rfc_objects(records[1:], records[0], numbers=True, keep_empty=False, keep_null=False) == \
        [{"name": 'say "hi"', "note": "a,b", "text": "two\r\nlines", "n": 3}, {"name": "x", "n": -1.5}]


def test_rfc_empty_fields_numbers_and_strict_templates():
    records, _ = RfcReader(";").rows('a;;"";+1;01;0x1F\n\n b \n')
    assert records == [["a", None, "", "+1", "01", "0x1F"], [" b "]]
    assert [rfc_number(t) for t in ("+1", "01", "-0", "1e3", "0x1F", " 7 ", "Infinity", "12abc")] == \
        ["+1", "01", 0, 1000, 31, 7, float("inf"), "12abc"]
    assert rfc_template('a,"b,c",,d') == ["a", "b,c", None, "d"]
    assert rfc_template("") == [""]
    with pytest.raises(CsvSyntaxError) as err:
        rfc_template('a,b"c')
    assert (str(err.value), err.value.position) == ("Quote found in the middle of an unquoted field", 3)


def test_rfc_array_lines_follow_the_template_or_the_values():
    assert rfc_array_line([1, "a;b", None], ["x", "", "z"], ";") == '1;;null'
    assert rfc_array_line(["p", 'q"'], [""], ",") == 'p,"q"""'
    with pytest.raises(CsvError, match=r"Cannot read properties of null \(reading 'length'\)"):
        rfc_array_line(None, [""], ",")


def test_legacy_reader_names_columns_and_reports_an_open_quote():
    reader = LegacyReader(",", numbers=True, keep_empty=False, keep_null=False)
    template = [""]
    rows, last, unclosed = reader.rows('1, x ,"a,b"\n2,,\n', 0, template, named=False)
    assert rows == [{"col1": 1, "col2": " x ", "col3": "a,b"}, {"col1": 2}]
    assert (last, unclosed, template) == ({}, False, ["col1", "col2", "col3"])
    named = legacy_columns(' "first" , second ', ",")
    assert named == ["first", "second"]
    rows, last, unclosed = reader.rows('1,"open', 0, named, named=True)
    assert (rows, unclosed) == ([{"first": 1, "second": "open"}], True)
    with pytest.raises(CsvError, match="reading 'includes'"):
        reader.rows(",a", 0, named, named=True)


def test_legacy_numbers_and_array_lines():
    assert [legacy_number(t) for t in ("12", "-1.5", ".5", "1e-+5", "01", "1.2.3", "abc")] == \
        [12, -1.5, 0.5, 1, None, None, None]
    assert legacy_array_line(["a b", 'q"', "x,y", 2], ",") == 'a b,"q""","x,y",2'
    with pytest.raises(CsvError, match="reading 'toString'"):
        legacy_array_line(["a", None], ",")
