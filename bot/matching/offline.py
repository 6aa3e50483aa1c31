"""Offline matching from a CSV file: ``mentorbot match --input people.csv --output pairs.csv``.

Input: UTF-8 CSV with a header row. Columns (order free; only ``user_id`` and ``role`` required,
others default as in :class:`bot.profiles.Profile`); multi-valued cells are separated by ``;``:

=====================  ====================================================================
user_id                unique id (e.g. a Slack user id), required
name, email            display only
role                   ``mentor``, ``mentee`` or ``both``
skills_offered         ``;``-separated skills (mentors)
skills_wanted          ``;``-separated skills (mentees)
interests              ``;``-separated
career_goals           ``;``-separated
department, industry   single values
seniority              one of ``bot.profiles.SENIORITY_LEVELS`` (default ``mid``)
communication_style    one of ``bot.profiles.COMMUNICATION_STYLES`` or empty
personality            one of ``bot.profiles.PERSONALITIES`` or empty
timezone               IANA name, e.g. ``Europe/Berlin`` (default ``UTC``)
days                   ``;``-separated ``mon`` ... ``sun`` (default ``tue;wed;thu``)
time_slots             ``;``-separated ``early``, ``morning``, ``midday``, ``afternoon``, ``evening``
meeting_format         ``video``, ``in_person``, ``chat`` or ``any``
capacity               mentees a mentor can take, 1-5 (default 1)
languages              ``;``-separated (default ``english``)
manager_id             the user_id of the person's manager, or empty
=====================  ====================================================================

Tags are normalised (lower case, single spaces). Any malformed row (missing or duplicate user_id,
unknown role, seniority, day, slot or format, bad timezone, capacity not 1-5) is reported with its
line number and nothing is written (exit code 2).

Output: CSV ``mentee_id,mentee_name,mentor_id,mentor_name,score,reasons`` (reasons joined by
``; ``), written to a temporary file next to the output and renamed, so a failed run never leaves a
partial file. A summary (matched, unmatched with reasons, mean score) goes to ``stream``.
"""

from __future__ import annotations

import csv
import os
import tempfile
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.csv_safety import writer as csv_writer
from bot.matching.rounds import plan_round
from bot.matching.scoring import MatchSettings, Weights
from bot.profiles import (
    COMMUNICATION_STYLES,
    MEETING_FORMATS,
    PERSONALITIES,
    SENIORITY_LEVELS,
    TIME_WINDOWS,
    WEEKDAYS,
    Profile,
    Role,
    normalise_tag,
)
from bot.views.reasons import Reader, reason_lines, unmatched_text
from bot.views.words import counted, word_for

COLUMNS: tuple[str, ...] = (
    "user_id",
    "name",
    "email",
    "role",
    "skills_offered",
    "skills_wanted",
    "interests",
    "career_goals",
    "department",
    "industry",
    "seniority",
    "communication_style",
    "personality",
    "timezone",
    "days",
    "time_slots",
    "meeting_format",
    "capacity",
    "languages",
    "manager_id",
)
OUTPUT_COLUMNS: tuple[str, ...] = ("mentee_id", "mentee_name", "mentor_id", "mentor_name", "score", "reasons")
PROGRESS_THRESHOLD = 2_000
ROLES = frozenset(r.value for r in Role)


@lru_cache(maxsize=65536)
def _multi(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in (normalise_tag(v) for v in value.split(";")) if t))


def parse_row(row: dict[str, str]) -> tuple[Profile | None, list[str]]:
    """Parse one CSV row into a profile, or return the problems found.

    Args:
        row: Column -> raw cell text.

    Returns:
        ``(profile, [])`` or ``(None, problems)``.
    """
    get = {k: (v or "").strip() for k, v in row.items() if k}
    problems = []
    user_id = get.get("user_id", "")
    if not user_id:
        problems.append("missing user_id")
    role_text = get.get("role", "").lower()
    if role_text not in ROLES:
        problems.append(f"unknown role {role_text!r} (expected mentor, mentee or both)")
    seniority = get.get("seniority", "").lower() or "mid"
    if seniority not in SENIORITY_LEVELS:
        problems.append(f"unknown seniority {seniority!r}")
    timezone = get.get("timezone", "") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"bad timezone {timezone!r}")
    capacity_text = get.get("capacity", "") or "1"
    try:
        capacity = int(capacity_text)
    except ValueError:
        capacity = 0
    if not 1 <= capacity <= 5:
        problems.append(f"capacity must be a whole number from 1 to 5, got {capacity_text!r}")
    days = _multi(get.get("days", "")) or ("tue", "wed", "thu")
    if bad := [d for d in days if d not in WEEKDAYS]:
        problems.append(f"unknown day(s) {', '.join(bad)}")
    slots = _multi(get.get("time_slots", "")) or ("afternoon",)
    if bad := [s for s in slots if s not in TIME_WINDOWS]:
        problems.append(f"unknown time slot(s) {', '.join(bad)}")
    meeting_format = get.get("meeting_format", "").lower() or "any"
    if meeting_format not in MEETING_FORMATS:
        problems.append(f"unknown meeting_format {meeting_format!r}")
    style = get.get("communication_style", "").lower()
    if style and style not in COMMUNICATION_STYLES:
        problems.append(f"unknown communication_style {style!r}")
    personality = get.get("personality", "").lower()
    if personality and personality not in PERSONALITIES:
        problems.append(f"unknown personality {personality!r}")
    if problems:
        return None, problems
    return (
        Profile(
            user_id=user_id,
            role=Role(role_text),
            name=get.get("name", ""),
            email=get.get("email") or None,
            skills_offered=_multi(get.get("skills_offered", "")),
            skills_wanted=_multi(get.get("skills_wanted", "")),
            interests=_multi(get.get("interests", "")),
            career_goals=_multi(get.get("career_goals", "")),
            department=normalise_tag(get.get("department", "")),
            industry=normalise_tag(get.get("industry", "")),
            seniority=seniority,
            communication_style=style,
            personality=personality,
            timezone=timezone,
            days=days,
            time_slots=slots,
            meeting_format=meeting_format,
            capacity=capacity,
            languages=_multi(get.get("languages", "")) or ("english",),
            manager_id=get.get("manager_id") or None,
        ),
        [],
    )


def read_people(path: Path) -> tuple[list[Profile], list[str]]:
    """Read and validate a people CSV.

    Args:
        path: The CSV file.

    Returns:
        ``(profiles, errors)``; errors are "line N: problem" strings (line 1 is the header).
    """
    errors: list[str] = []
    people: list[Profile] = []
    seen: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "user_id" not in reader.fieldnames or "role" not in reader.fieldnames:
            return [], ["line 1: header must include at least user_id and role"]
        if unknown := [c for c in reader.fieldnames if c and c not in COLUMNS]:
            errors.append(f"line 1: unknown column(s) {', '.join(unknown)}")
        for row in reader:
            line = reader.line_num
            if None in row:
                errors.append(f"line {line}: more cells than header columns")
                continue
            profile, problems = parse_row(row)
            errors.extend(f"line {line}: {p}" for p in problems)
            if profile is None:
                continue
            if profile.user_id in seen:
                errors.append(
                    f"line {line}: duplicate user_id {profile.user_id} (first on line {seen[profile.user_id]})"
                )
                continue
            seen[profile.user_id] = line
            people.append(profile)
    return people, errors


def run_offline(
    input_path: Path,
    output_path: Path,
    *,
    stream: TextIO,
    weights: Weights | None = None,
    settings: MatchSettings | None = None,
    week_of: date | None = None,
) -> int:
    """Match the people in a CSV file and write the pairs to another CSV file.

    Args:
        input_path: People CSV (see the module docstring).
        output_path: Pairs CSV to create or replace.
        stream: Where the summary, progress and errors go.
        weights: Factor weights (default: :class:`Weights`()).
        settings: Round settings (default: :class:`MatchSettings`()).
        week_of: Week whose daylight-saving offsets apply (default: today).

    Returns:
        0 on success, 2 for a malformed or unreadable input (nothing written).
    """
    try:
        people, errors = read_people(input_path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        stream.write(f"error: cannot read {input_path}: {exc}\n")
        return 2
    if errors:
        stream.write(f"error: {input_path} has {len(errors)} problem(s); nothing was written\n")
        for error in errors:
            stream.write(f"  {error}\n")
        return 2

    mentees = [p for p in people if p.is_mentee]
    mentors = [p for p in people if p.is_mentor]
    stream.write(
        f"read {counted(len(people), 'person', 'people')}: {counted(len(mentees), 'mentee')}, "
        f"{counted(len(mentors), 'mentor')}\n"
    )

    progress = None
    if len(mentees) >= PROGRESS_THRESHOLD:
        marks: set[int] = set()

        def progress(done: int, total: int) -> None:
            tenth = done * 10 // max(total, 1)
            if tenth not in marks:
                marks.add(tenth)
                stream.write(f"scoring: {done}/{total} {word_for(total, 'mentee')} ({tenth * 10}%)\n")
                stream.flush()

    result = plan_round(
        mentees,
        mentors,
        weights=weights or Weights(),
        settings=settings or MatchSettings(),
        week_of=week_of or date.today(),
        progress=progress,
    )
    names = {p.user_id: p.name for p in people}

    output_path = Path(output_path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output_path.name}.", suffix=".tmp", dir=output_path.parent or ".")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv_writer(handle)
            writer.writerow(OUTPUT_COLUMNS)
            for pair in result.pairs:
                writer.writerow(
                    [
                        pair.mentee_id,
                        names.get(pair.mentee_id, ""),
                        pair.mentor_id,
                        names.get(pair.mentor_id, ""),
                        f"{pair.score.total:.4f}",
                        "; ".join(
                            reason_lines(
                                pair.score.reasons,
                                reader=Reader.COORDINATOR,
                                mentee=names.get(pair.mentee_id) or pair.mentee_id,
                                mentor=names.get(pair.mentor_id) or pair.mentor_id,
                            )
                        ),
                    ]
                )
        os.replace(tmp_name, output_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise

    stream.write(f"matched: {len(result.pairs)} of {counted(len(mentees), 'mentee')}\n")
    stream.write(f"mean score: {result.mean_score:.3f}\n")
    if result.unmatched:
        stream.write(f"unmatched: {len(result.unmatched)}\n")
        for mentee_id, reason in result.unmatched.items():
            why = unmatched_text(reason, reader=Reader.COORDINATOR, who=names.get(mentee_id) or mentee_id)
            stream.write(f"  {mentee_id} ({names.get(mentee_id, '')}): {why}\n")
    stream.write(f"wrote {output_path}\n")
    return 0
