"""A table of figures as a download: CSV (every cell neutralised) or an Excel workbook."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from starlette.responses import Response

from services.imports.formulas import SafeCsvWriter, neutralise

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(
    name: str, header: list[str], rows: Iterable[list[Any]], *, as_xlsx: bool, sheet_title: str = "Figures"
) -> Response:
    """`name` without extension; the rows as that file (an XLSX sheet is titled `sheet_title`)."""
    if as_xlsx:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = sheet_title
        sheet.append(header)
        for row in rows:
            sheet.append([neutralise(cell) for cell in row])
        out = io.BytesIO()
        book.save(out)
        return Response(
            out.getvalue(),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    text = io.StringIO()
    writer = SafeCsvWriter(text)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        text.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
