"""Timezones people can pick without typing IANA names: labels with the current offset, and search.

A zone is shown as ``Europe/Berlin (UTC+1, now 14:05)``; it can be found by its name, its city
(``new york``), a common city that shares it (``munich`` finds Europe/Berlin) or its offset (``utc+5:30``).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.typeahead import MAX_OPTIONS, rank

REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")

# Well-known cities that are not a zone's own name, and the zone they keep time with.
CITY_ZONES = {
    "San Francisco": "America/Los_Angeles",
    "Seattle": "America/Los_Angeles",
    "Portland": "America/Los_Angeles",
    "San Diego": "America/Los_Angeles",
    "Austin": "America/Chicago",
    "Dallas": "America/Chicago",
    "Houston": "America/Chicago",
    "Atlanta": "America/New_York",
    "Boston": "America/New_York",
    "Miami": "America/New_York",
    "Washington": "America/New_York",
    "Montreal": "America/Toronto",
    "Ottawa": "America/Toronto",
    "Calgary": "America/Edmonton",
    "Rio de Janeiro": "America/Sao_Paulo",
    "Edinburgh": "Europe/London",
    "Manchester": "Europe/London",
    "Munich": "Europe/Berlin",
    "Hamburg": "Europe/Berlin",
    "Frankfurt": "Europe/Berlin",
    "Cologne": "Europe/Berlin",
    "Barcelona": "Europe/Madrid",
    "Milan": "Europe/Rome",
    "Lyon": "Europe/Paris",
    "Geneva": "Europe/Zurich",
    "Krakow": "Europe/Warsaw",
    "Rotterdam": "Europe/Amsterdam",
    "Tel Aviv": "Asia/Jerusalem",
    "Cape Town": "Africa/Johannesburg",
    "Abu Dhabi": "Asia/Dubai",
    "Mumbai": "Asia/Kolkata",
    "Bangalore": "Asia/Kolkata",
    "Bengaluru": "Asia/Kolkata",
    "Delhi": "Asia/Kolkata",
    "New Delhi": "Asia/Kolkata",
    "Hyderabad": "Asia/Kolkata",
    "Chennai": "Asia/Kolkata",
    "Pune": "Asia/Kolkata",
    "Beijing": "Asia/Shanghai",
    "Shenzhen": "Asia/Shanghai",
    "Hangzhou": "Asia/Shanghai",
    "Osaka": "Asia/Tokyo",
    "Hanoi": "Asia/Bangkok",
    "Canberra": "Australia/Sydney",
    "Wellington": "Pacific/Auckland",
}


@cache
def zone_names() -> tuple[str, ...]:
    """The IANA zones offered: every ``Region/City`` zone and ``UTC``, alphabetical."""
    names = {name for name in available_timezones() if name.split("/", 1)[0] in REGIONS and "/" in name}
    return ("UTC", *sorted(names))


def is_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone Python knows."""
    if not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return name == "UTC" or name in available_timezones()


def offset_text(zone: str, now: datetime) -> str:
    """``UTC+1``, ``UTC-3``, ``UTC+5:30`` for the zone at ``now`` (``UTC+0`` for UTC)."""
    offset = now.astimezone(ZoneInfo(zone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(zone: str, now: datetime) -> str:
    """``Europe/Berlin (UTC+1, now 14:05)``: the zone, its offset and its local time at ``now``."""
    local = now.astimezone(ZoneInfo(zone))
    return f"{zone} ({offset_text(zone, now)}, now {local:%H:%M})"


@cache
def _aliases() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for city, zone in CITY_ZONES.items():
        found.setdefault(zone, []).append(city)
    return {zone: tuple(cities) for zone, cities in found.items()}


def search(query: str, now: datetime, *, limit: int = MAX_OPTIONS) -> list[str]:
    """The zones matching what a person typed, best first (at most ``limit``).

    Args:
        query: A zone name, a city (``sao paulo``, ``munich``), or an offset (``utc+1``, ``+5:30``).
        now: When the offsets are taken (they change with daylight saving time).
        limit: At most this many zones.

    Returns:
        Zone names, best match first.
    """
    cleaned = query.strip().lower().replace("gmt", "utc")
    if cleaned.lstrip("utc").startswith(("+", "-")) and any(ch.isdigit() for ch in cleaned):
        wanted = "UTC" + cleaned.removeprefix("utc").strip()
        return [zone for zone in zone_names() if offset_text(zone, now).lower() == wanted.lower()][:limit]
    aliases = _aliases()

    def texts(zone: str) -> tuple[str, ...]:
        city = zone.rsplit("/", 1)[-1].replace("_", " ")
        return (zone.replace("_", " "), city, *aliases.get(zone, ()))

    return rank(query, zone_names(), texts=texts, limit=limit)
