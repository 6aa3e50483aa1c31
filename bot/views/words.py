"""Small wording helpers every builder shares: counts with the right plural, lists, lengths of time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

_IRREGULAR = {
    "person": "people",
    "is": "are",
    "was": "were",
    "has": "have",
    "this": "these",
    "it": "them",
}


def plural_of(word: str) -> str:
    """The plural of an English noun as mentorbot uses them ('meeting' -> 'meetings', 'reply' -> 'replies')."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def word_for(count: int | float, word: str, plural: str | None = None) -> str:
    """The word alone, in the form ``count`` needs ('meeting' for 1, 'meetings' otherwise)."""
    return word if count == 1 else (plural or plural_of(word))


def counted(count: int | float, word: str, plural: str | None = None, *, thousands: bool = True) -> str:
    """'1 meeting', '2 meetings', '0 pairs', '1,200 people' (``plural`` for irregular words)."""
    number = f"{count:,}" if thousands and isinstance(count, int) else f"{count:g}"
    return f"{number} {word_for(count, word, plural)}"


def joined(items: Sequence[str], *, limit: int | None = None, conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'; beyond ``limit`` items: 'a, b and 3 more'."""
    items = [i for i in items if i]
    if limit is not None and len(items) > limit:
        return ", ".join(items[:limit]) + f" {conjunction} {len(items) - limit} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} {items[-1]}"


def how_long(delta: timedelta) -> str:
    """A rough length of time: '3 days', '5 weeks', '14 months', '2 years'."""
    days = abs(delta.days)
    if days < 14:
        return counted(days, "day")
    if days < 61:
        return counted(days // 7, "week")
    if days < 730:
        return counted(days * 12 // 365, "month")
    return counted(days // 365, "year")
