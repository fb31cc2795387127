"""Property tests of import parsing: what a file holds is what is read, and any cell is
converted or refused with a message.

- CSV: generated tables (quotes, the three delimiters inside cells, newlines and
  carriage returns in cells, unicode, leading and trailing spaces) written by Python's
  csv module with comma, semicolon or tab, with or without a byte-order mark, with
  ``\\n`` or ``\\r\\n`` line ends, read back by ``open_file``: the same header, the same
  cells, row for row, and the right count.
- Cells: a product import (a money column, and custom fields of every kind) of
  generated cell values, dry run: the import answers with rows created or row errors
  whose message names the column, and never raises anything but the documented
  ``ValidationError`` (``FileRefused``); nothing is written.

Bounded and reproducible: derandomized, a fixed number of examples, no deadline.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.services.importing_read import FileRefused, open_file

#: Examples per property (the dry-run imports run fewer on PostgreSQL).
EXAMPLES = {"csv": 250, "sqlite": 120, "postgres": 40}


def _bounded(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


#: Characters a cell may hold: every delimiter, quotes, line ends, spaces, unicode.
CELL_CHAR = st.one_of(st.sampled_from([",", ";", "\t", '"', "'", "\n", "\r", " ", "é", "ß",
                                       "日", "😀", "\u00a0", "=", "\ufeff"]),
                      st.characters(codec="utf-8", exclude_categories=["Cs"]))
CELL = st.text(CELL_CHAR, max_size=12)
#: Headers name fields: no delimiter or line end in them (a file whose header holds an
#: unquoted delimiter has another number of columns, whatever wrote it).
HEADER = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Zs", "Cc"],
                               exclude_characters=',;"'),
                 min_size=1, max_size=10).filter(lambda h: h.strip() == h and h != "")


@st.composite
def tables(draw: Any) -> tuple[list[str], list[list[str]]]:
    headers = draw(st.lists(HEADER, min_size=1, max_size=5,
                            unique_by=lambda h: h.casefold()))
    width = len(headers)
    rows = draw(st.lists(st.lists(CELL, min_size=width, max_size=width)
                         .filter(lambda cells: any(c.strip() for c in cells)), max_size=6))
    return headers, rows


@_bounded(EXAMPLES["csv"])
@given(table=tables(), delimiter=st.sampled_from([",", ";", "\t"]), bom=st.booleans(),
       line_end=st.sampled_from(["\r\n", "\n"]))
def test_property_a_csv_file_reads_back_exactly(table: tuple[list[str], list[list[str]]],
                                                delimiter: str, bom: bool,
                                                line_end: str) -> None:
    headers, rows = table
    out = io.StringIO(newline="")
    # Python's writer quotes a cell holding a line end of its own lineterminator only:
    # a lone \r in a file of \n lines would go unquoted (no spreadsheet writes that).
    stray_cr = line_end == "\n" and any("\r" in cell for row in rows for cell in row)
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end,
                        quoting=csv.QUOTE_ALL if stray_cr else csv.QUOTE_MINIMAL)
    writer.writerow(headers)
    writer.writerows(rows)
    data = ("\ufeff" if bom else "") + out.getvalue()
    try:
        opened = open_file(data.encode("utf-8"), name="people.csv")
    except FileRefused as exc:
        pytest.fail(f"a well-formed file was refused: {exc}\n{data!r}")
    assert opened.headers == headers, data
    assert opened.total == len(rows), data
    assert [cells for _, cells in opened.rows()] == rows, (delimiter, data)


@_bounded(EXAMPLES["csv"])
@given(data=st.one_of(st.binary(max_size=200),
                      st.text(CELL_CHAR, max_size=200).map(lambda t: t.encode("utf-8"))))
def test_property_any_bytes_are_read_or_refused_with_a_reason(data: bytes) -> None:
    try:
        opened = open_file(data, name="upload.csv")
    except FileRefused as exc:
        assert str(exc) and exc.messages == {"file": [str(exc)]}
        return
    assert opened.headers and all(h.strip() == h and h for h in opened.headers)
    assert sum(1 for _ in opened.rows()) == opened.total


# Cells ------------------------------------------------------------------------------

NUMBERISH = st.one_of(
    st.integers(-2**70, 2**70).map(str), st.decimals(allow_nan=True).map(str),
    st.floats().map(repr), st.sampled_from(["9" * 5000, "-" + "9" * 4400, "١٢", "1_000",
                                            "1e3", "0x1F", "+7", " 12 ", "1.2.3"]))
CELL_VALUE = st.one_of(
    CELL, NUMBERISH,
    st.sampled_from(["yes", "No", "x", "off", "TRUE", "2026-02-30", "2026-12-07",
                     "07.12.2026", "12.50 EUR", "EUR 12.50", "12.505 EUR", "1e3 USD",
                     "12.50 XAU", "12.50 ZZZ", "gold", "a;b", "a;;c", "=SUM(A1:A2)",
                     "\x00", "a\x00b", "null", "x" * 300]),
    st.text(max_size=20))
LETTERS = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12)
#: What each column holds when it is right (a spreadsheet's way of writing it).
VALID = {
    "sku": None,  # the row's own, unique
    "name": LETTERS,
    "unit_price": st.tuples(st.decimals(min_value=-10**6, max_value=10**6, places=2),
                            st.sampled_from(["", " EUR", " usd", "EUR "])).map(
        lambda p: f"{p[1]}{p[0]}" if p[1].endswith(" ") else f"{p[0]}{p[1]}"),
    "category": st.one_of(st.just(""), LETTERS),
    "x_int": st.integers(-2**63, 2**63 - 1).map(str),
    "x_dec": st.decimals(min_value=-10**9, max_value=10**9, places=3).map(str),
    "x_day": st.dates(dt.date(1900, 1, 1), dt.date(9899, 12, 31)).map(str),
    "x_flag": st.sampled_from(["yes", "No", "TRUE", "false", "1", "0", "x", "off", ""]),
    "x_tier": st.sampled_from(["gold", "silver", ""]),
    "x_tags": st.sampled_from(["a", "b", "a;b", " b ; a ", ""]),
}
COLUMNS = list(VALID)


@st.composite
def product_rows(draw: Any) -> list[tuple[dict[str, str], bool]]:
    """Rows, each with whether every cell of it is right."""
    rows = []
    for index in range(draw(st.integers(1, 3))):
        row, right = {}, True
        for column, valid in VALID.items():
            if draw(st.integers(0, 7)) == 0:  # an eighth of the cells: anything
                row[column] = draw(CELL_VALUE)
                right = False
            else:
                row[column] = f"SKU-{index}" if valid is None else draw(valid)
        rows.append((row, right))
    return rows


@pytest.fixture
def import_kernel(kernel: Any, actor: Any) -> Any:
    from accord.services.fields import add_field

    add_field(kernel, "product", "x_int", "integer", actor=actor)
    add_field(kernel, "product", "x_dec", "decimal", actor=actor)
    add_field(kernel, "product", "x_day", "date", actor=actor)
    add_field(kernel, "product", "x_flag", "boolean", actor=actor)
    add_field(kernel, "product", "x_tier", "choice", choices=["gold", "silver"], actor=actor)
    add_field(kernel, "product", "x_tags", "multi_choice", choices=["a", "b"], actor=actor)
    return kernel


def test_property_any_cell_is_converted_or_refused_with_a_message(import_kernel: Any,
                                                                   actor: Any,
                                                                   accord_engine: str) -> None:
    from accord.models import Product
    from accord.services.importing import run_import

    kernel = import_kernel

    @_bounded(EXAMPLES[accord_engine])
    @given(drawn=product_rows())
    def check(drawn: list[tuple[dict[str, str], bool]]) -> None:
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(row for row, _ in drawn)
        try:
            result = run_import(kernel, "product", out.getvalue().encode("utf-8"),
                                actor=actor, file_name="products.csv", dry_run=True)
        except FileRefused as exc:  # only a file with no row left after blank ones
            assert "has a header but no rows" in str(exc), exc
            return
        assert result.processed == result.total
        assert result.created + result.rejected == result.total, result.as_dict()
        for error in result.errors:
            assert error.message.strip(), error
            assert error.column == "" or error.column in COLUMNS, error
        if result.rejected:
            assert result.errors, result.as_dict()
        lines = {error.line for error in result.errors}
        for line, (row, right) in enumerate(drawn, start=2):
            if right:  # a row of right cells is taken (rows are never blank here)
                assert line not in lines, (row, [e for e in result.errors if e.line == line])

    check()
    with kernel.bound():
        assert Product.select().count() == 0  # a dry run writes nothing


# Found by the properties above --------------------------------------------------

def test_a_one_column_file_written_with_semicolons_keeps_the_commas_of_its_cells() -> None:
    """Was read with commas: ``Lovelace, Ada`` became two cells and the row an error."""
    opened = open_file("Name\r\nLovelace, Ada\r\n,\r\n".encode("utf-8"), name="names.csv")
    assert opened.headers == ["Name"]
    assert [cells for _, cells in opened.rows()] == [["Lovelace, Ada"], [","]]


def test_a_whole_number_too_long_to_store_is_a_row_error(import_kernel: Any, actor: Any) -> None:
    """Was a ValueError out of int() (Python reads at most 4,300 digits): a 500."""
    from accord.services.importing import run_import

    content = f"sku,name,x_int\nA-1,Anvil,{'9' * 5000}\nA-2,Bolt,{'9' * 20}\n".encode()
    result = run_import(import_kernel, "product", content, actor=actor, file_name="p.csv",
                        dry_run=True)
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (2, "x_int", "a whole number of 5,000 digits cannot be stored (at most 19 digits)"),
        (3, "x_int", "a whole number of 20 digits cannot be stored (at most 19 digits)")]
    assert result.rejected == 2 and result.created == 0
