"""Type-ahead ranking for Slack's external selects: what to offer for the few letters a person typed.

Slack shows at most 100 options for an ``external_select``, so the ranking decides what a person can reach:
an exact match first, then items starting with the query, then items with a word starting with it, then
items containing it anywhere; alphabetical within each rank.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

MAX_OPTIONS = 100  # Slack's limit for the options an external select shows
_WORD = re.compile(r"[a-z0-9]+")


def _fold(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def rank(
    query: str,
    items: Iterable[T],
    *,
    texts: Callable[[T], Iterable[str]] = lambda item: (str(item),),
    limit: int = MAX_OPTIONS,
) -> list[T]:
    """The items matching ``query``, best first, at most ``limit``.

    Args:
        query: What the person typed (case, punctuation and underscores are ignored).
        items: The candidates.
        texts: The texts an item can be found by (its label, its other names).
        limit: How many to return.

    Returns:
        Exact matches, then prefix matches, then word-prefix matches, then substring matches.
        An empty query returns the first ``limit`` items in alphabetical order.
    """
    wanted = _fold(query)
    scored: list[tuple[int, str, T]] = []
    for item in items:
        best = None
        for text in texts(item):
            folded = _fold(text)
            if not wanted:
                score = 3
            elif folded == wanted:
                score = 0
            elif folded.startswith(wanted):
                score = 1
            elif any(word.startswith(wanted) for word in folded.split()) or f" {wanted}" in f" {folded}":
                score = 2
            elif wanted in folded:
                score = 3
            else:
                continue
            best = score if best is None else min(best, score)
        if best is not None:
            first = next(iter(texts(item)), "")
            scored.append((best, _fold(first), item))
    scored.sort(key=lambda entry: (entry[0], entry[1]))
    return [item for _, _, item in scored[:limit]]
