"""Spreadsheet formula injection: the one rule for a cell a spreadsheet would run as a formula.

Excel, LibreOffice and Google Sheets evaluate a CSV cell that starts with `=`, `+`, `-` or `@`
(and DDE payloads such as `=cmd|' /C calc'!A0`); a leading TAB or CR hides the sign from the eye
but not from every importer, and some spreadsheets trim leading spaces before they decide. Excel
in East Asian locales also reads the full-width signs. The OWASP rule, widened to those cases:
a cell whose first non-blank character is one of these signs gets a `'` in front, which every
spreadsheet shows as text. Plain numbers (`-12`, `+3.5`) are left alone: they are not formulas
and a prefix would turn them into text; nor is a lone sign (`-` for "none").

Why not `defusedcsv`: it covers `= + - @ | %` but neither a leading TAB/CR nor a sign after
leading spaces, and it rewrites `|` inside the cell; the importer also needs the same test to
refuse such cells, so the rule lives here once for the writers and the reader.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

# The signs a spreadsheet may read as the start of a formula (full-width forms included).
FORMULA_SIGNS = frozenset("=+-@|%\uff1d\uff0b\uff0d\uff20")
_BLANKS = " \t\r\n\u00a0\u3000"
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+([.,]\d+)*|\d*[.,]\d+)([eE][+-]?\d+)?")


def formula_sign(text: str) -> str | None:
    """The sign that would make a spreadsheet run `text` as a formula, or None when it is safe."""
    if not text:
        return None
    if text[0] in "\t\r":
        return text[0]
    stripped = text.lstrip(_BLANKS)
    if len(stripped) < 2 or stripped[0] not in FORMULA_SIGNS:
        return None  # a lone '-' (a placeholder for "none") is shown as text by every spreadsheet
    if _PLAIN_NUMBER.fullmatch(stripped):
        return None
    return stripped[0]


def sign_name(sign: str) -> str:
    """How a message names the sign: 'TAB', 'CR' or the character in quotes."""
    return {"\t": "TAB", "\r": "CR"}.get(sign, f"'{sign}'")


def neutralise(value: Any) -> Any:
    """The value to write in a spreadsheet cell: text a spreadsheet would run gets a `'` in front."""
    if isinstance(value, str) and formula_sign(value) is not None:
        return "'" + value
    return value


class _Writes(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeCsvWriter:
    """A csv.writer whose every cell passes through `neutralise`: the only CSV writer to use."""

    def __init__(self, out: _Writes, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row, each cell neutralised."""
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write several rows, each cell neutralised."""
        for row in rows:
            self.writerow(row)
