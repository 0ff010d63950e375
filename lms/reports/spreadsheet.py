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
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime

from sqlalchemy import String, case, func, literal, null

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 1000


def risky(value: str) -> bool:
    return value.startswith(FORMULA_STARTS)


def neutralise(value: object) -> object:
    """The CSV-safe form of a cell: risky text gets a leading apostrophe."""
    if isinstance(value, str) and risky(value):
        return "'" + value
    return value


def neutralised_sql(text):
    """``neutralise`` in SQL, for exports the database writes itself (``copy_csv_chunks``):
    risky text gets a leading apostrophe. An empty string becomes NULL, which COPY writes as
    an empty field, as the csv module writes ``""`` (COPY would quote it). The database must
    use UTF-8."""
    # ascii(): the first character's code point (0 for ''), an integer compared without
    # making a substring per cell; one CASE, so each cell costs one function call.
    return case((func.ascii(text).in_([ord(start) for start in FORMULA_STARTS]),
                 literal("'", String) + text),
                (text == "", null()), else_=text)


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
    _write_header(buffer, writer, header, bom)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(v) for v in row])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _write_header(buffer: io.StringIO, writer, header: Sequence[str], bom: bool) -> None:
    if bom:
        buffer.write("\ufeff")
    writer.writerow([neutralise(h) for h in header])


def copy_csv_chunks(connection, statement, header: Sequence[str], bom: bool = False,
                    progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """What ``csv_chunks`` writes, as UTF-8 bytes in the same chunks, but written by
    PostgreSQL: ``COPY (statement) TO STDOUT`` in CSV format, streamed. ``statement`` must
    select every cell already as ``_csv_cell`` would write it (text; ``neutralised_sql`` on
    untrusted text, NULL for nothing): COPY then quotes exactly as the csv module does
    (fields with a comma, a quote, CR or LF; quotes doubled). The one difference, COPY's LF
    line ends, is mended row by row: each COPY message is one row, so its last byte is the
    row's end and never a line break inside a quoted value. ``progress`` is called with the
    number of rows written so far after each row. ``connection``: a SQLAlchemy connection to
    PostgreSQL through psycopg 3 with a UTF-8 client encoding."""
    compiled = statement.compile(dialect=connection.dialect,
                                 compile_kwargs={"render_postcompile": True})
    raw = connection.connection.driver_connection
    buffer = io.StringIO()
    _write_header(buffer, csv.writer(buffer), header, bom)
    out = bytearray(buffer.getvalue().encode("utf-8"))
    count = 0
    # The values are merged into the statement by psycopg (COPY takes no bind parameters),
    # quoted by the driver as for any query.
    with raw.cursor() as cursor, cursor.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)",
                                             compiled.params) as copy:
        for row in copy:
            out += row[:-1]
            out += b"\r\n"
            count += 1
            if progress is not None:
                progress(count)
            if count % CHUNK_ROWS == 0:
                yield bytes(out)
                out.clear()
    if out:
        yield bytes(out)


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
        # Per cell, XlsxWriter's public methods first re-parse the arguments for A1 notation
        # (a decorator); the underlying methods, pinned with XlsxWriter in requirements.txt,
        # do the same checks and storing without it. Text, nearly every cell, is tested
        # first, by exact type.
        write_string = getattr(worksheet, "_write_string", worksheet.write_string)
        write_number = worksheet.write_number
        write_datetime = getattr(worksheet, "_write_datetime", worksheet.write_datetime)
        count = 0
        for count, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                kind = type(value)
                if kind is str:
                    if value.startswith(FORMULA_STARTS):
                        write_string(count, col, value, quoted)
                    else:
                        write_string(count, col, value)
                elif value is None:
                    continue
                elif kind is int or kind is float:
                    write_number(count, col, value)
                elif isinstance(value, bool):
                    worksheet.write_boolean(count, col, value)
                elif isinstance(value, int | float):
                    write_number(count, col, value)
                elif isinstance(value, datetime):
                    write_datetime(count, col, value.replace(tzinfo=None), moment)
                elif isinstance(value, date):
                    write_datetime(count, col, datetime(value.year, value.month, value.day),
                                   day)
                else:
                    text = str(value)
                    if risky(text):
                        write_string(count, col, text, quoted)
                    else:
                        write_string(count, col, text)
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
