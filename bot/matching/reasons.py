"""Why a pair fits and why a mentee found no mentor, as data rather than sentences.

Scoring returns each reason as a factor and its detail (:func:`reason`), JSON-ready because pairs, rounds and
mentee-choice requests store them; matching returns an unmatched mentee's reason as a code with an optional
detail (:func:`unmatched`). Neither is worded here: ``bot.views.reasons`` words them for whoever reads them
(the mentee, the mentor, the pair, a coordinator), so one fact never reaches the wrong reader in someone
else's voice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.profiles import Window
from storage.vocab import Factor, UnmatchedReason

Reason = dict[str, Any]  # {"factor": Factor, ...detail}


def reason(factor: Factor, **detail: Any) -> Reason:
    """One reason a pair fits: the factor and what made it count (names of skills, hours, ...)."""
    return {"factor": str(factor), **detail}


def windows_data(windows: Sequence[Window]) -> list[list[int]]:
    """Weekly windows as JSON (day, start minute, end minute)."""
    return [[w.day, w.start, w.end] for w in windows]


def windows_from(data: Any) -> list[Window]:
    """Weekly windows back from their JSON form (bad entries are skipped)."""
    out = []
    for item in data or []:
        try:
            day, start, end = (int(v) for v in item)
        except (TypeError, ValueError):
            continue
        out.append(Window(day, start, end))
    return out


def unmatched(code: UnmatchedReason, detail: float | str | None = None) -> str:
    """An unmatched mentee's reason as stored: the code, or ``code:detail``."""
    if detail is None:
        return str(code)
    return f"{code}:{detail:g}" if isinstance(detail, float | int) else f"{code}:{detail}"


def parse_unmatched(text: str) -> tuple[UnmatchedReason, str] | None:
    """(code, detail) of a stored unmatched reason; None for text from before codes (shown as written)."""
    code, _, detail = (text or "").partition(":")
    try:
        return UnmatchedReason(code), detail
    except ValueError:
        return None
