"""CSV cells that a spreadsheet can never run as a formula (OWASP "CSV Injection").

Every CSV mentorbot writes goes through :func:`writer`: a text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is prefixed with a single quote, so Excel, LibreOffice and Google Sheets show
it as text instead of evaluating it (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``...). Every cell is quoted and
embedded quotes are doubled (``csv.QUOTE_ALL``), as OWASP recommends. Numbers the app formats itself (scores,
counts) are not text cells and stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(value: Any) -> Any:
    """A cell value safe to open in a spreadsheet: text starting like a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` with every text cell neutralised and every cell quoted."""

    def __init__(self, handle: _Writable) -> None:
        self._writer = csv.writer(handle, quoting=csv.QUOTE_ALL)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle: _Writable) -> SafeWriter:
    """The CSV writer to use for every file the app writes."""
    return SafeWriter(handle)
