"""Bound what a spreadsheet unpacks to and what parsing it builds, before it is parsed.

A workbook is a zip of XML parts: 195 KB can unpack to a 200 MB cell, a single cell at column
XFD makes openpyxl pad every row to 16,384 values, and an XML part may declare nested entities
(a "billion laughs"). The 10 MB upload limit sees none of this, and openpyxl loads the whole
shared-strings table into memory before the first row. So every part is checked here first, in
one streaming pass that never holds more than a chunk of a part: the zip directory's sizes,
the bytes actually inflated (a lying directory cannot get past the count), every XML part through
defusedxml (no DTD entities, no external references), and in the sheets and the shared strings
the length of each cell, the number of columns and the number of rows.

A CSV file is bounded by its upload size already; its lines are measured before the csv module
builds a record out of one (a 10 MB line of commas is five million cells).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import IO
from xml.sax import SAXException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl

import defusedxml
import defusedxml.sax

from pledgeflow.errors import FieldProblem, InvalidInput, PledgeflowError

# Real workbooks of 50,000 rows and a few dozen columns unpack to about 50 MB.
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024
# Parts other than sheets and shared strings (styles, workbook, relations, properties) are small.
MAX_PART_BYTES = 4 * 1024 * 1024
MAX_PARTS = 1_000
MAX_COLUMNS = 256
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_ROWS = 50_000
MAX_LINE_CHARS = 2 * MAX_CELL_CHARS  # a CSV line: one cell at Excel's limit and the rest

_CHUNK = 64 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")


class SheetTooLarge(PledgeflowError):
    """A size the file unpacks to, or one of its cells, is above a limit; the detail names both."""

    status, slug, title = 413, "too-large", "The file is too large"


class SheetRefused(InvalidInput):
    """A file whose shape is beyond a limit (columns, rows) or whose XML is unsafe."""


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _refused(reason: str) -> SheetRefused:
    return SheetRefused(f"file: {reason}", errors=[FieldProblem("file", reason)])


def column_number(reference: str) -> int:
    """The column of a cell reference such as 'XFD1' (A is 1); 0 when it names none."""
    number = 0
    for char in reference:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            number = number * 26 + ord(char) - 96
        else:
            break
    return number


class _Stop(SAXException):
    """Raised from a handler to end the parse with a refusal."""

    def __init__(self, error: PledgeflowError) -> None:
        super().__init__(error.detail)
        self.error = error


@dataclass
class _Budget:
    """Bytes inflated so far, across every part."""

    used: int = 0

    def spend(self, part: str, size: int) -> None:
        self.used += size
        if self.used > MAX_UNCOMPRESSED_BYTES:
            reason = (
                f"the workbook unpacks to more than {_megabytes(MAX_UNCOMPRESSED_BYTES)} "
                f"(limit: uncompressed size; reached while reading {part})"
            )
            raise _Stop(too_large(reason))


class _PartScanner(ContentHandler):
    """Counts, as the XML streams by, what openpyxl would build from it."""

    def __init__(self, part: str, *, is_sheet: bool) -> None:
        super().__init__()
        self.part = part
        self.is_sheet = is_sheet
        self.rows = 0
        self.row_number = 0
        self.column = 0
        self.chars = 0
        self.in_cell = False

    def startElement(self, name: str, attrs: AttributesImpl) -> None:  # noqa: N802 (SAX API)
        """A cell (`c`) or shared string (`si`) starts its character count; a row is counted."""
        local = name.rpartition(":")[2]
        if local in ("c", "si"):
            self.chars, self.in_cell = 0, True
            if local == "c" and self.is_sheet:
                self._cell(attrs.get("r") or "")
        elif not self.in_cell:
            self.chars = 0
        if local == "row" and self.is_sheet:
            self._row(attrs.get("r") or "")

    def endElement(self, name: str) -> None:  # noqa: N802 (SAX API)
        """The end of a cell or shared string."""
        if name.rpartition(":")[2] in ("c", "si"):
            self.in_cell = False

    def characters(self, content: str) -> None:
        """Text arrives in pieces: the cell's length is counted before it is ever whole."""
        self.chars += len(content)
        if self.chars > MAX_CELL_CHARS:
            where = f"cell {self._reference()}" if self.is_sheet and self.in_cell else "a text"
            reason = (
                f"{where} in {self.part} has more than {MAX_CELL_CHARS:,} characters "
                f"(limit: cell length, {MAX_CELL_CHARS:,})"
            )
            raise _Stop(too_large(reason))

    def _row(self, reference: str) -> None:
        self.rows += 1
        self.column = 0
        self.row_number = int(reference) if reference.isdigit() else self.row_number + 1
        if self.rows > MAX_ROWS + 1:
            raise _Stop(_refused(f"{self.part} has more than {MAX_ROWS:,} rows (limit: rows, {MAX_ROWS:,})"))

    def _cell(self, reference: str) -> None:
        self.column = column_number(reference) or self.column + 1
        if self.column > MAX_COLUMNS:
            raise _Stop(
                _refused(
                    f"{self.part} has a cell in column {self.column:,} ({self._reference()}); "
                    f"at most {MAX_COLUMNS} columns are accepted (limit: columns, {MAX_COLUMNS})"
                )
            )

    def _reference(self) -> str:
        return cell_reference(self.column, self.row_number)


def _is_data_part(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("xl/worksheets/") or lowered.endswith("sharedstrings.xml")


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_PARTS:
        raise _refused(f"the workbook has {len(infos):,} parts; at most {MAX_PARTS:,} (limit: parts)")
    declared = sum(info.file_size for info in infos)
    if declared > MAX_UNCOMPRESSED_BYTES:
        reason = (
            f"the workbook unpacks to {_megabytes(declared)}; at most "
            f"{_megabytes(MAX_UNCOMPRESSED_BYTES)} is accepted (limit: uncompressed size)"
        )
        raise too_large(reason)
    for info in infos:
        if not _is_data_part(info.filename) and info.file_size > MAX_PART_BYTES:
            reason = (
                f"the part {info.filename} unpacks to {_megabytes(info.file_size)}; at most "
                f"{_megabytes(MAX_PART_BYTES)} is accepted (limit: part size)"
            )
            raise too_large(reason)


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> None:
    scanner = _PartScanner(info.filename, is_sheet=info.filename.lower().startswith("xl/worksheets/"))
    parser = defusedxml.sax.make_parser()
    parser.setContentHandler(scanner)
    limit = MAX_PART_BYTES if not _is_data_part(info.filename) else MAX_UNCOMPRESSED_BYTES
    inflated = 0
    source: IO[bytes]
    with archive.open(info) as source:
        while chunk := source.read(_CHUNK):
            inflated += len(chunk)
            budget.spend(info.filename, len(chunk))
            if inflated > limit:
                reason = (
                    f"the part {info.filename} unpacks to more than {_megabytes(limit)} (limit: part size)"
                )
                raise too_large(reason)
            parser.feed(chunk)  # an IncrementalParser: fed a chunk at a time
    parser.close()


def _declared_parts(content: bytes) -> int | None:
    """The number of entries the zip's end record declares (zip64 included), None if it has none.

    Read before zipfile builds a ZipInfo per entry: 10 MB of empty entries is 200,000 of them.
    """
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 22 - 65_535))
    if end < 0 or len(content) < end + 22:
        return None
    count = int.from_bytes(content[end + 10 : end + 12], "little")
    locator = end - 20
    if count == 0xFFFF and locator >= 0 and content[locator : locator + 4] == b"PK\x06\x07":
        record = int.from_bytes(content[locator + 8 : locator + 16], "little")
        if content[record : record + 4] == b"PK\x06\x06":
            count = int.from_bytes(content[record + 32 : record + 40], "little")
    return count


def check_workbook(content: bytes) -> None:
    """Refuse a workbook whose parts exceed a limit or whose XML is unsafe; return when it is safe."""
    declared = _declared_parts(content)
    if declared is not None and declared > MAX_PARTS:
        raise _refused(f"the workbook has {declared:,} parts; at most {MAX_PARTS:,} (limit: parts)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip at all: openpyxl's own refusal says so
    with archive:
        infos = archive.infolist()
        _check_directory(infos)
        budget = _Budget()
        for info in infos:
            if info.is_dir() or not info.filename.lower().endswith(_XML_SUFFIXES):
                continue  # images and binaries: openpyxl's read-only mode never inflates them
            try:
                _scan_part(archive, info, budget)
            except _Stop as stop:
                raise stop.error from None
            except defusedxml.DefusedXmlException as exc:
                raise _refused(
                    f"the part {info.filename} declares XML entities or external references "
                    f"({type(exc).__name__}), which a workbook never needs: refused as an XML bomb"
                ) from exc
            except SAXException as exc:
                raise _refused(f"this is not a readable XLSX workbook ({info.filename}: {exc})") from exc
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
                # A CRC or size that does not match the directory is found here, while inflating.
                raise _refused(f"this is not a readable XLSX workbook ({info.filename}: {exc})") from exc


def too_large(reason: str) -> SheetTooLarge:
    """A 413 naming the limit and the value."""
    return SheetTooLarge(f"file: {reason}", errors=[FieldProblem("file", reason)])


def refused(reason: str) -> SheetRefused:
    """A 422 naming the limit and the value."""
    return _refused(reason)


def check_csv_lines(text: str) -> None:
    """Refuse a CSV text with a line longer than MAX_LINE_CHARS, before any record is built."""
    start, number = 0, 1
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if end - start > MAX_LINE_CHARS:
            raise too_large(
                f"line {number} has {end - start:,} characters; at most {MAX_LINE_CHARS:,} are accepted "
                f"(limit: line length, {MAX_LINE_CHARS:,})"
            )
        start, number = end + 1, number + 1


def check_record(number: int, cells: list[str]) -> None:
    """Refuse a row with too many columns or a cell too long (row numbers count the header as 1)."""
    if len(cells) > MAX_COLUMNS:
        raise _refused(
            f"row {number} has {len(cells):,} columns; at most {MAX_COLUMNS} are accepted "
            f"(limit: columns, {MAX_COLUMNS})"
        )
    for position, cell in enumerate(cells):
        if len(cell) > MAX_CELL_CHARS:
            raise too_large(
                f"cell {cell_reference(position + 1, number)} has {len(cell):,} characters; at most "
                f"{MAX_CELL_CHARS:,} are accepted (limit: cell length, {MAX_CELL_CHARS:,})"
            )


def cell_reference(column: int, row: int) -> str:
    """'B7' for column 2 (A is 1) of row 7."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"
