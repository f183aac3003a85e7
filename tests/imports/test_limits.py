"""Spreadsheet bombs: what an upload unpacks to and what parsing it builds stay bounded.

Each bomb is built here by hand (zipfile, raw sheet XML) and uploaded through the real route in a
fresh process (tests/upload_probe.py), which reports the answer, the time, and how far the peak
resident memory rose above an import already run once.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import defusedxml
import openpyxl
import pytest

from services.imports.limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_LINE_CHARS,
    MAX_PART_BYTES,
    MAX_PARTS,
    MAX_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    SheetRefused,
    SheetTooLarge,
)
from services.imports.spreadsheet import read_sheet

ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT_MB = 100
TIME_LIMIT_S = 5.0
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_STRINGS = "xl/sharedStrings.xml"
SHEET = "xl/worksheets/sheet1.xml"


# ---- building the bombs --------------------------------------------------------------------------


RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"
HEADER_STRINGS = ("organisation", "kind", "country")


def _base_parts() -> dict[str, bytes]:
    """The parts of a small workbook as Excel writes it: the text in a shared-strings table
    (openpyxl itself writes inline strings, so its files would never reach this part)."""
    strings = "".join(f"<si><t>{s}</t></si>" for s in (*HEADER_STRINGS, "Ghana Freight Forwarders"))
    return {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CT_MAIN}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT_MAIN}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT_MAIN}.sharedStrings+xml"/>'
            "</Types>"
        ).encode(),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS_NS}">'
            f'<Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{DOC_RELS}">'
            '<sheets><sheet name="Stakeholders" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS_NS}">'
            f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ).encode(),
        SHEET: sheet_xml(
            [
                '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
                '<c r="C1" t="s"><v>2</v></c></row>',
                '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="inlineStr"><is><t>company</t></is></c>'
                '<c r="C2" t="inlineStr"><is><t>GH</t></is></c></row>',
            ]
        ),
        SHARED_STRINGS: (
            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="4" uniqueCount="4">'
            f"{strings}</sst>"
        ).encode(),
    }


def workbook_with(**replaced: Any) -> bytes:
    """A valid workbook whose parts are replaced: bytes, or an iterator of byte chunks (streamed,
    so a 200 MB part is never held in memory)."""
    parts: dict[str, Any] = _base_parts()
    parts.update({name.replace("__", "/").replace("_dot_", "."): v for name, v in replaced.items()})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in parts.items():
            if isinstance(value, bytes):
                archive.writestr(name, value)
                continue
            with archive.open(name, "w") as part:
                for chunk in value:
                    part.write(chunk)
    return out.getvalue()


def shared_strings(text_chunks: Any) -> Any:
    """An sst part whose fourth string (cell A2) streams from `text_chunks`."""
    head = "".join(f"<si><t>{s}</t></si>" for s in HEADER_STRINGS)
    yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="4" uniqueCount="4">{head}<si><t>'.encode()
    yield from text_chunks
    yield b"</t></si></sst>"


def sheet_xml(rows: list[str]) -> bytes:
    """A worksheet part from raw row elements."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
        + "".join(rows)
        + "</sheetData></worksheet>"
    ).encode()


def column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def huge_cell_workbook(megabytes: int = 200) -> bytes:
    """The issue's bomb: a shared string of 200 MB in a file of about 200 KB."""
    return workbook_with(
        xl__sharedStrings_dot_xml=shared_strings(b"x" * 1024 * 1024 for _ in range(megabytes))
    )


def wide_workbook(columns: int = 16_000, rows: int = 40) -> bytes:
    """Every row 16,000 cells wide."""
    cells = "".join(f'<c r="{column_letters(c)}{{r}}"><v>1</v></c>' for c in range(1, columns + 1))
    return workbook_with(
        xl__worksheets__sheet1_dot_xml=sheet_xml(
            [f'<row r="{r}">{cells.format(r=r)}</row>' for r in range(1, rows + 1)]
        )
    )


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + f']><sst xmlns="{MAIN_NS}" count="4" uniqueCount="4">'
    + "".join(f"<si><t>{s}</t></si>" for s in HEADER_STRINGS)
    + "<si><t>&lol9;</t></si></sst>"
)


def laughs_workbook() -> bytes:
    """A billion laughs: nine levels of ten entities, 10^9 'lol's once expanded."""
    return workbook_with(xl__sharedStrings_dot_xml=LAUGHS.encode())


def lie_about_size(data: bytes, member: str, size: int) -> bytes:
    """The zip with `member`'s uncompressed size rewritten in its local header and its directory entry."""
    buf = bytearray(data)
    name = member.encode()
    for signature, name_length_at, name_at, size_at in (
        (b"PK\x03\x04", 26, 30, 22),
        (b"PK\x01\x02", 28, 46, 24),
    ):
        position = buf.find(signature)
        while position >= 0:
            length = int.from_bytes(buf[position + name_length_at : position + name_length_at + 2], "little")
            if buf[position + name_at : position + name_at + length] == name:
                buf[position + size_at : position + size_at + 4] = size.to_bytes(4, "little")
            position = buf.find(signature, position + 4)
    return bytes(buf)


def total_uncompressed(content: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return sum(info.file_size for info in archive.infolist())


# ---- uploading them ------------------------------------------------------------------------------


def probe(tmp_path: Path, content: bytes, name: str) -> dict[str, Any]:
    """Upload `content` through the real route in a fresh process; its answer, time and memory."""
    path = tmp_path / name
    path.write_bytes(content)
    database_url = f"sqlite:///{tmp_path / 'probe.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "tests.upload_probe", str(path), name, database_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"\n{name}: {len(content):,} bytes -> {result['status']} in {result['seconds']:.2f}s, "
        f"peak RSS +{result['growth_mb']:.1f} MB"
    )
    return result


def assert_refused(result: dict[str, Any], status: int, reason: str) -> None:
    """The answer is a problem document naming the file and the limit, quickly and in bounded memory."""
    assert result["status"] == status, result["body"]
    assert result["content_type"].startswith("application/problem+json")
    assert result["body"]["errors"] == [{"field": "file", "reason": reason}]
    assert result["body"]["detail"] == f"file: {reason}"
    assert result["growth_mb"] < MEMORY_LIMIT_MB
    assert result["seconds"] < TIME_LIMIT_S


def test_a_workbook_with_one_200_mb_cell_is_refused_from_its_directory(tmp_path):
    content = huge_cell_workbook()
    assert len(content) < 400_000  # the bomb is small; what it unpacks to is not
    declared = total_uncompressed(content)
    result = probe(tmp_path, content, "huge-cell.xlsx")
    assert_refused(
        result,
        413,
        f"the workbook unpacks to {declared / 1048576:.1f} MB; at most "
        f"{MAX_UNCOMPRESSED_BYTES / 1048576:.1f} MB is accepted (limit: uncompressed size)",
    )


def test_a_workbook_just_under_the_limits_is_read_in_bounded_memory(tmp_path):
    """57 MB of shared strings, each under the cell limit: read, within the same memory bound."""
    head = "".join(f"<si><t>{s}</t></si>" for s in HEADER_STRINGS)

    def strings() -> Any:
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">{head}'.encode()
        for number in range(1_900):
            yield b"<si><t>" + (b"%06d" % number) * 5_000 + b"</t></si>"
        yield b"</sst>"

    content = workbook_with(xl__sharedStrings_dot_xml=strings())
    assert MAX_UNCOMPRESSED_BYTES * 0.8 < total_uncompressed(content) < MAX_UNCOMPRESSED_BYTES
    result = probe(tmp_path, content, "big-strings.xlsx")
    assert result["status"] == 200, result["body"]
    assert result["body"]["summary"]["rows"]["total"] == 1
    assert result["growth_mb"] < MEMORY_LIMIT_MB and result["seconds"] < TIME_LIMIT_S


def test_a_directory_that_lies_about_sizes_is_caught_while_inflating(tmp_path):
    content = lie_about_size(huge_cell_workbook(megabytes=60), SHARED_STRINGS, 4096)
    assert total_uncompressed(content) < 64 * 1024  # the directory claims a small workbook
    result = probe(tmp_path, content, "lying.xlsx")
    assert_refused(
        result,
        422,
        f"this is not a readable XLSX workbook ({SHARED_STRINGS}: Bad CRC-32 for file '{SHARED_STRINGS}')",
    )


def test_a_cell_longer_than_excel_allows_is_refused_while_streaming(tmp_path):
    long_cell = f'<row r="1"><c r="A1" t="inlineStr"><is><t>organisation</t></is></c></row><row r="2"><c r="B2" t="inlineStr"><is><t>{"y" * (MAX_CELL_CHARS + 1)}</t></is></c></row>'
    result = probe(
        tmp_path, workbook_with(xl__worksheets__sheet1_dot_xml=sheet_xml([long_cell])), "long.xlsx"
    )
    assert_refused(
        result,
        413,
        f"cell B2 in {SHEET} has more than {MAX_CELL_CHARS:,} characters "
        f"(limit: cell length, {MAX_CELL_CHARS:,})",
    )


def test_a_16000_column_sheet_is_refused_at_the_first_cell_past_the_limit(tmp_path):
    content = wide_workbook()
    result = probe(tmp_path, content, "wide.xlsx")
    assert_refused(
        result,
        422,
        f"{SHEET} has a cell in column {MAX_COLUMNS + 1} ({column_letters(MAX_COLUMNS + 1)}1); "
        f"at most {MAX_COLUMNS} columns are accepted (limit: columns, {MAX_COLUMNS})",
    )


def test_one_cell_at_column_xfd_is_refused_before_openpyxl_pads_every_row():
    far = sheet_xml(['<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>1</v></c></row>'])
    with pytest.raises(SheetRefused) as refused:
        read_sheet(workbook_with(xl__worksheets__sheet1_dot_xml=far), "far.xlsx")
    assert refused.value.errors[0].reason == (
        f"{SHEET} has a cell in column 16,384 (XFD1); at most {MAX_COLUMNS} columns are accepted "
        f"(limit: columns, {MAX_COLUMNS})"
    )


def test_a_sheet_with_too_many_rows_is_refused_before_it_is_parsed():
    rows = [f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>' for r in range(1, MAX_ROWS + 3)]
    with pytest.raises(SheetRefused) as refused:
        read_sheet(workbook_with(xl__worksheets__sheet1_dot_xml=sheet_xml(rows)), "tall.xlsx")
    assert (
        refused.value.errors[0].reason
        == f"{SHEET} has more than {MAX_ROWS:,} rows (limit: rows, {MAX_ROWS:,})"
    )


def test_a_zip_of_a_hundred_thousand_empty_parts_is_refused_from_its_end_record(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for number in range(100_000):
            archive.writestr(str(number), b"")
    result = probe(tmp_path, out.getvalue(), "parts.xlsx")
    assert_refused(result, 422, f"the workbook has 100,000 parts; at most {MAX_PARTS:,} (limit: parts)")


def test_a_styles_part_above_its_limit_is_refused():
    """openpyxl builds a tree of the whole stylesheet (3.7 MB of styles: +47 MB); parts other than
    sheets and shared strings are held to MAX_PART_BYTES."""
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    styles = b"<styleSheet><cellXfs>" + xf * (MAX_PART_BYTES // len(xf) + 1) + b"</cellXfs></styleSheet>"
    with pytest.raises(SheetTooLarge) as refused:
        read_sheet(workbook_with(xl__styles_dot_xml=styles), "styles.xlsx")
    assert refused.value.errors[0].reason == (
        f"the part xl/styles.xml unpacks to {len(styles) / 1048576:.1f} MB; at most "
        f"{MAX_PART_BYTES / 1048576:.1f} MB is accepted (limit: part size)"
    )


def test_a_billion_laughs_is_refused(tmp_path):
    result = probe(tmp_path, laughs_workbook(), "laughs.xlsx")
    assert_refused(
        result,
        422,
        f"the part {SHARED_STRINGS} declares XML entities or external references (EntitiesForbidden), "
        "which a workbook never needs: refused as an XML bomb",
    )


def test_openpyxl_itself_refuses_xml_bombs_because_defusedxml_is_installed():
    # Our own scan comes first; this checks the second line of defence is really there.
    assert openpyxl.DEFUSEDXML is True
    with pytest.raises(ValueError, match="could not read strings") as refused:
        openpyxl.load_workbook(io.BytesIO(laughs_workbook()), read_only=True)
    assert isinstance(refused.value.__cause__, defusedxml.EntitiesForbidden)


def test_a_large_but_honest_workbook_is_still_read():
    rows = [["organisation", "kind", "country"]] + [[f"Org {n}", "company", "GH"] for n in range(5_000)]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    read = read_sheet(out.getvalue(), "honest.xlsx")
    assert len(read.rows) == 5_000 and read.rows[-1] == (5_001, ["Org 4999", "company", "GH"])


# ---- CSV -----------------------------------------------------------------------------------------

CSV_HEADER = b"organisation,kind,country\r\n"


def test_a_csv_line_of_five_million_commas_is_refused_before_it_is_parsed(tmp_path):
    result = probe(tmp_path, CSV_HEADER + b"," * 5_000_000 + b"\r\n", "commas.csv")
    assert_refused(
        result,
        413,
        f"line 2 has 5,000,001 characters; at most {MAX_LINE_CHARS:,} are accepted "
        f"(limit: line length, {MAX_LINE_CHARS:,})",
    )


def test_a_csv_row_with_too_many_columns_is_refused(tmp_path):
    result = probe(tmp_path, CSV_HEADER + b"," * 30_000 + b"\r\n", "wide.csv")
    assert_refused(
        result,
        422,
        f"row 2 has 30,001 columns; at most {MAX_COLUMNS} are accepted (limit: columns, {MAX_COLUMNS})",
    )


def test_a_csv_cell_longer_than_the_limit_is_refused():
    content = CSV_HEADER + b'Acme,company,"' + b"z" * (MAX_CELL_CHARS + 1) + b'"\r\n'
    with pytest.raises(SheetTooLarge) as refused:
        read_sheet(content, "long.csv")
    assert refused.value.status == 413
    assert refused.value.errors[0].reason == (
        f"cell C2 has {MAX_CELL_CHARS + 1:,} characters; at most {MAX_CELL_CHARS:,} are accepted "
        f"(limit: cell length, {MAX_CELL_CHARS:,})"
    )
