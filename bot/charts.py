"""Charts as PNG bytes (matplotlib, Agg backend: no display needed, safe in worker threads)."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from datetime import date

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402 - the backend is chosen first

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_lock = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe


def program_chart(
    *,
    weeks: Sequence[date],
    meetings: Sequence[int],
    open_pairs: Sequence[int],
    closed_pairs: Sequence[int],
    at_risk_now: int | None,
    title: str,
) -> bytes:
    """Meetings per week (bars) above pair health over time (open and closed pairs), as a PNG.

    Args:
        weeks: The first day of each week.
        meetings: Meetings logged per week.
        open_pairs: Pairs open at the end of each week.
        closed_pairs: Pairs closed so far at the end of each week.
        at_risk_now: Pairs at risk today (drawn as a marker on the last week), or None when hidden.
        title: The chart title.

    Returns:
        PNG bytes.
    """
    with _lock:
        figure = Figure(figsize=(9, 6), dpi=100)
        top, bottom = figure.subplots(2, 1, sharex=True)
        x = list(weeks)
        top.bar(x, list(meetings), width=5, color="#4a90d9")
        top.set_ylabel("meetings / week")
        top.set_title(title)
        top.grid(axis="y", alpha=0.3)
        bottom.plot(x, list(open_pairs), label="open pairs", color="#2e7d32")
        bottom.plot(x, list(closed_pairs), label="closed (cumulative)", color="#757575")
        if at_risk_now is not None and x:
            bottom.scatter([x[-1]], [at_risk_now], color="#c62828", label="at risk now", zorder=3)
        bottom.set_ylabel("pairs")
        bottom.grid(axis="y", alpha=0.3)
        bottom.legend(loc="upper left", fontsize=8)
        figure.autofmt_xdate()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
