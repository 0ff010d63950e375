"""Writing rows for spreadsheets, safely and in constant memory.

Formula injection: a text value starting with ``= + - @``, a tab or a carriage return would
be run as a formula by Excel or LibreOffice. In CSV it gets a leading apostrophe (OWASP's
advice); in XLSX every text is written as a string cell (never a formula) and risky ones also
carry Excel's quote prefix, so even editing the cell keeps it text while the value stays
exact. Both writers take an iterator and never hold more than a chunk of rows.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 1000


def risky(value: str) -> bool:
    return value.startswith(FORMULA_STARTS)


def neutralise(value: object) -> object:
    """The CSV-safe form of a cell: risky text gets a leading apostrophe."""
    if isinstance(value, str) and risky(value):
        return "'" + value
    return value


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence], bom: bool = False
               ) -> Iterator[str]:
    """CSV text (RFC 4180, CRLF line ends) in chunks of ``CHUNK_ROWS`` rows. ``bom``: start
    with a UTF-8 byte-order mark so Excel reads the file as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write("\ufeff")
    writer.writerow([neutralise(h) for h in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(v) for v in row])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def write_xlsx(path: str | os.PathLike, header: Sequence[str], rows: Iterable[Sequence],
               sheet: str = "Roster") -> int:
    """Write an XLSX file row by row (XlsxWriter's constant-memory mode). Text is always a
    string cell; dates are dates; numbers numbers. Returns the number of data rows."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True,
                                               "strings_to_formulas": False,
                                               "strings_to_numbers": False,
                                               "strings_to_urls": False,
                                               "nan_inf_to_errors": True})
    try:
        worksheet = workbook.add_worksheet(sheet[:31])
        bold = workbook.add_format({"bold": True})
        quoted = workbook.add_format({"quote_prefix": True})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for col, title in enumerate(header):
            worksheet.write_string(0, col, str(title), bold)
        count = 0
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
                    if risky(text):
                        worksheet.write_string(count, col, text, quoted)
                    else:
                        worksheet.write_string(count, col, text)
        worksheet.freeze_panes(1, 0)
    finally:
        workbook.close()
    return count


def xlsx_chunks(header: Sequence[str], rows: Iterable[Sequence], sheet: str = "Roster",
                chunk_bytes: int = 1 << 16) -> Iterator[bytes]:
    """An XLSX file as a stream of bytes: written to a temporary file (a zip cannot be
    streamed before it is finished), then read back in chunks and deleted."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(path, header, rows, sheet)
        with open(path, "rb") as stream:
            while chunk := stream.read(chunk_bytes):
                yield chunk
    finally:
        os.unlink(path)
