"""``write_xlsx`` calls XlsxWriter's cell methods directly, by exact type first: the workbook
must hold the same cells as one written through the public methods with the plain
isinstance dispatch (value, type, number format, bold, quote prefix, in every cell)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

import openpyxl
import xlsxwriter

from lms.reports.spreadsheet import risky, write_xlsx
from tests.reports.roster_helpers import injection_payloads, naughty_strings, xlsx_cells


class Kind(StrEnum):
    LATE = "=late"


def reference_xlsx(path, header, rows, sheet="Roster") -> None:
    """The writer as it was: public methods, one isinstance chain per cell."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True,
                                               "strings_to_formulas": False,
                                               "strings_to_numbers": False,
                                               "strings_to_urls": False,
                                               "nan_inf_to_errors": True})
    worksheet = workbook.add_worksheet(sheet)
    bold = workbook.add_format({"bold": True})
    quoted = workbook.add_format({"quote_prefix": True})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for col, title in enumerate(header):
        worksheet.write_string(0, col, str(title), bold)
    for count, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                worksheet.write_boolean(count, col, value)
            elif isinstance(value, int | float):
                worksheet.write_number(count, col, value)
            elif isinstance(value, datetime):
                worksheet.write_datetime(count, col, value.replace(tzinfo=None), moment)
            elif isinstance(value, date):
                worksheet.write_datetime(count, col, datetime(value.year, value.month,
                                                              value.day), day)
            else:
                text = str(value)
                worksheet.write_string(count, col, text, quoted if risky(text) else None)
    worksheet.freeze_panes(1, 0)
    workbook.close()


def mixed_rows() -> list[tuple]:
    texts = [*injection_payloads(), *naughty_strings(), "_x0041_", "\r\n", "", " lead"]
    rows = []
    for n, text in enumerate(texts):
        rows.append((
            text, f"E{n:05d}", n, n * 0.5, -n, n % 2 == 0, None,
            date(2026, 1, 1) + timedelta(days=n), date(1900, 3, 1) if n == 0 else None,
            datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC) + timedelta(hours=n),
            datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8))),
            Decimal("12.50"), Kind.LATE, float("nan") if n == 1 else float("inf") if n == 2
            else 1e300, 10**15 + n,
        ))
    return rows


def _cells(path) -> list[list[tuple]]:
    sheet = openpyxl.load_workbook(path).active
    return [[(cell.value, cell.data_type, cell.number_format, cell.font.b, cell.quotePrefix)
             for cell in row] for row in sheet.iter_rows()]


def test_the_same_cells_as_the_public_methods_write(tmp_path):
    header = [f"Column {n}" for n in range(15)]
    rows = mixed_rows()
    assert write_xlsx(tmp_path / "ours.xlsx", header, iter(rows)) == len(rows)
    reference_xlsx(tmp_path / "reference.xlsx", header, rows)
    ours, reference = _cells(tmp_path / "ours.xlsx"), _cells(tmp_path / "reference.xlsx")
    assert len(ours) == len(rows) + 1
    assert ours == reference
    # The raw cell texts too (openpyxl leaves Excel's _xHHHH_ escapes encoded).
    assert (xlsx_cells((tmp_path / "ours.xlsx").read_bytes())
            == xlsx_cells((tmp_path / "reference.xlsx").read_bytes()))
    sheet = openpyxl.load_workbook(tmp_path / "ours.xlsx").active
    assert sheet.freeze_panes == "A2"
