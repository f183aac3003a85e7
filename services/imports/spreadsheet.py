"""Read a coordinator's spreadsheet (CSV or XLSX) into a header and rows of text.

Encoding: CSV files must be UTF-8 (with or without a byte-order mark). A file in another
encoding is refused with the offset of the first byte that is not UTF-8, never guessed: a
Windows-1252 guess would silently garble a name saved as Windows-1256 (Arabic) or 1251, and
names end up in emails and on the public register. The refusal says how to save as UTF-8.

Limits: the upload is at most MAX_BYTES; what it unpacks to and what parsing builds (rows,
columns, cell length, line length, XML entities) is bounded in services.imports.limits
before openpyxl or the csv module see it.

Formulas: a cell a spreadsheet would run (`=HYPERLINK(...)`, `+SUM(...)`, `@foo`, `=cmd|...`)
is read as it is; `formula_refusal` says why the importer refuses it (see that function).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath

from pledgeflow.errors import FieldProblem, InvalidInput, PledgeflowError
from services.imports import limits as spreadsheet_limits
from services.imports.formulas import formula_sign, sign_name
from services.imports.limits import MAX_ROWS, check_csv_lines, check_record

MAX_BYTES = 10 * 1024 * 1024
ALLOWED_TYPES = ".csv (UTF-8), .xlsx"

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and .doc)
_TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ""}
_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}


class UnreadableFile(InvalidInput):
    """The file cannot be read as a table; the reason names where and why."""

    @classmethod
    def because(cls, reason: str) -> UnreadableFile:
        """A file-level problem."""
        return cls(f"file: {reason}", errors=[FieldProblem("file", reason)])


class UnsupportedFileType(PledgeflowError):
    status, slug, title = 415, "unsupported-media-type", "This type of file is not accepted"


class FileTooLarge(PledgeflowError):
    status, slug, title = 413, "too-large", "The file is too large"


@dataclass
class Sheet:
    """A table as the spreadsheet shows it: row numbers count the header as row 1."""

    format: str  # "csv" or "xlsx"
    header: list[str]
    rows: list[tuple[int, list[str]]]
    notices: list[str] = field(default_factory=list)


def check_size(size: int) -> None:
    """Refuse files above MAX_BYTES before reading them."""
    if size > MAX_BYTES:
        raise FileTooLarge(
            f"the file is {size / 1024 / 1024:.1f} MB; at most {MAX_BYTES // 1024 // 1024} MB is accepted "
            "(split it into several files)",
            errors=[FieldProblem("file", f"larger than {MAX_BYTES // 1024 // 1024} MB")],
        )


def read_sheet(content: bytes, filename: str) -> Sheet:
    """The file's first sheet; UnreadableFile, UnsupportedFileType or FileTooLarge otherwise."""
    check_size(len(content))
    suffix = PurePath(filename).suffix.lower()
    if not content.strip():
        raise UnreadableFile.because("the file is empty")
    if content.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise UnsupportedFileType(
            f"'{filename}' is an old Excel .xls workbook; save it as .xlsx or as CSV UTF-8 "
            f"(accepted: {ALLOWED_TYPES})",
            errors=[FieldProblem("file", f"legacy .xls is not accepted; accepted: {ALLOWED_TYPES}")],
        )
    if suffix in {".xlsx", ".xlsm"} or (content.startswith(_XLSX_MAGIC) and not suffix):
        return _read_xlsx(content)
    if suffix not in _TEXT_SUFFIXES or content.startswith(_XLSX_MAGIC):
        raise UnsupportedFileType(
            f"'{filename}' is not a CSV or XLSX file (accepted: {ALLOWED_TYPES})",
            errors=[
                FieldProblem("file", f"unsupported type '{suffix or 'unknown'}'; accepted: {ALLOWED_TYPES}")
            ],
        )
    return _read_csv(content)


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile.because(
            "the file is UTF-16 (Excel's 'Unicode Text'); save it as 'CSV UTF-8 (Comma delimited)'"
        )
    bom = 3 if content.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = content[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        line = content[:offset].count(b"\n") + 1
        byte = content[offset]
        raise UnreadableFile.because(
            f"the file is not UTF-8: byte 0x{byte:02X} at offset {offset} (line {line}) is not valid UTF-8; "
            "it was probably saved as Windows-1252 or Latin-1 (Excel's plain 'CSV'). Save it as "
            "'CSV UTF-8 (Comma delimited)', or upload the .xlsx workbook, and import again"
        ) from exc
    if "\x00" in text:
        raise UnreadableFile.because("the file contains NUL bytes: it is not a CSV text file")
    return text


def _delimiter(first_line: str) -> str:
    # Excel writes semicolons where the decimal separator is a comma (French, Portuguese...).
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def formula_refusal(text: str) -> str | None:
    """Why an imported cell is refused as a formula, or None when it is plain text.

    Refused rather than stored: imported names and addresses travel beyond our own exports (emails,
    the public register, receipts, API answers that others paste into spreadsheets), so escaping
    only what we write is not enough, and silently adding a `'` would change the name an
    organisation signs under. The coordinator sees the row and the column and fixes the cell.
    """
    sign = formula_sign(text)
    if sign is None:
        return None
    return (
        f"starts with {sign_name(sign)}: a spreadsheet would run it as a formula; "
        "remove the sign (or the leading blank) and import again"
    )


def _read_csv(content: bytes) -> Sheet:
    text = _decode(content)
    check_csv_lines(text)
    delimiter = _delimiter(text.split("\n", 1)[0])
    notices = [] if delimiter == "," else [f"columns are separated by {_DELIMITER_NAMES[delimiter]}"]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for record in reader:
            check_record(len(records) + 1, record)
            records.append(record)
            _check_row_count(records)
    except csv.Error as exc:
        raise UnreadableFile.because(f"row {len(records) + 1} cannot be read as CSV: {exc}") from exc
    return _sheet("csv", records, notices)


def _check_row_count(records: list[list[str]]) -> None:
    # Counted while reading, so a huge file (or a zip bomb of a workbook) stops early.
    if len(records) > MAX_ROWS + 1:
        raise UnreadableFile.because(f"the file has more than {MAX_ROWS} rows; split it into several files")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a reference typed as 1001 comes back as 1001.0
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _read_xlsx(content: bytes) -> Sheet:
    import openpyxl  # only imported when a workbook arrives

    # Before openpyxl inflates anything: it loads every shared string into memory at once.
    spreadsheet_limits.check_workbook(content)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors: a damaged workbook has many faces
        raise UnreadableFile.because(
            f"this is not a readable XLSX workbook ({exc or type(exc).__name__})"
        ) from exc
    try:
        sheets = workbook.worksheets
        if not sheets or not hasattr(sheets[0], "iter_rows"):
            raise UnreadableFile.because(
                "the workbook's first sheet has no cells (a chart, or no sheet at all)"
            )
        sheet = sheets[0]
        # Some tools declare a million-row dimension; read the rows that exist instead.
        sheet.reset_dimensions()
        records: list[list[str]] = []
        for values in sheet.iter_rows(min_row=1, values_only=True):
            cells = [_cell_text(v) for v in values]
            check_record(len(records) + 1, cells)  # counted again as parsed: defence in depth
            records.append(cells)
            _check_row_count(records)
        title = str(sheet.title)
    except (UnreadableFile, PledgeflowError):
        raise
    except Exception as exc:  # a damaged sheet is only found while reading it
        raise UnreadableFile.because(
            f"the workbook's first sheet cannot be read ({exc or type(exc).__name__})"
        ) from exc
    finally:
        workbook.close()
    notices = [f"read the first sheet, '{title}', of {len(sheets)}"] if len(sheets) > 1 else []
    return _sheet("xlsx", records, notices)


def _sheet(kind: str, records: list[list[str]], notices: list[str]) -> Sheet:
    rows = [(number, cells) for number, cells in enumerate(records, start=1) if any(c.strip() for c in cells)]
    if not rows:
        raise UnreadableFile.because("the file has no rows")
    header_number, header = rows[0]
    if header_number != 1:
        raise UnreadableFile.because(
            f"row 1 is empty: the column names must be in row 1 (found them in row {header_number})"
        )
    data = rows[1:]
    if not data:
        raise UnreadableFile.because("the file has the column names but no data rows")
    return Sheet(format=kind, header=[h.strip() for h in header], rows=data, notices=notices)
