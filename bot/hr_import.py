"""HR import: manager, department and other HR fields from a CSV, keyed by Slack ID or email.

The file has a header row. Columns (any order, case-insensitive; unknown columns are an error):

=================  ==============================================================
``user_id``        Slack user id (``U...``/``W...``) of the person; or
``email``          their work email (one of the two is required on every row)
``manager``        their manager's Slack user id or email (``manager_id`` and
                   ``manager_email`` are accepted too)
``department``     department (free text, normalised like signup tags)
``industry``       industry
``seniority``      one of the signup seniority levels
=================  ==============================================================

Every row is checked before anything is written; one bad row rejects the whole file, and every bad
row is reported with its line number. Rows for people who have not signed up are reported as skipped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.profiles import SENIORITY_RANK, normalise_tag
from storage import coordination

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
COLUMNS = {
    "user_id": "user_id",
    "slack_id": "user_id",
    "email": "email",
    "manager": "manager",
    "manager_id": "manager",
    "manager_email": "manager",
    "department": "department",
    "industry": "industry",
    "seniority": "seniority",
}
MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class HrRow:
    """One parsed line of the file."""

    line: int
    user_id: str = ""
    email: str = ""
    manager: str = ""
    department: str | None = None
    industry: str | None = None
    seniority: str | None = None


@dataclass
class ImportReport:
    """What an import did: rows updated, rows skipped (not signed up), and bad lines (nothing written)."""

    updated: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self, *, limit: int = 30) -> str:
        """A readable, line-by-line account."""
        if self.errors:
            lines = [f"Nothing was imported: {len(self.errors)} bad line(s). Fix them and import the file again."]
            lines += [f"line {n}: {msg}" for n, msg in self.errors[:limit]]
            if len(self.errors) > limit:
                lines.append(f"... and {len(self.errors) - limit} more")
            return "\n".join(lines)
        lines = [f"Imported HR fields for {self.updated} people."]
        if self.skipped:
            lines.append(f"{len(self.skipped)} row(s) skipped (these people have not joined the program yet):")
            lines += [f"line {n}: {msg}" for n, msg in self.skipped[:limit]]
        return "\n".join(lines)


def parse_people_csv(text: str) -> tuple[list[HrRow], list[tuple[int, str]]]:
    """Parse and check the file (pure).

    Returns:
        The rows and the bad lines as (line number, message); line 1 is the header.
    """
    errors: list[tuple[int, str]] = []
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        return [], [(0, f"the file is larger than {MAX_BYTES // 1_000_000} MB")]
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return [], [(1, "the file is empty: expected a header row such as user_id,email,manager,department")]
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names if h and h not in COLUMNS]
    if unknown:
        return [], [(1, f"unknown column(s) {', '.join(unknown)}; known: {', '.join(sorted(COLUMNS))}")]
    if not {"user_id", "slack_id", "email"} & set(names):
        return [], [(1, "a user_id or an email column is required to know whose row it is")]
    rows: list[HrRow] = []
    seen: dict[str, int] = {}
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                errors.append((number, f"expected {len(names)} values, found {len(cells)}"))
                continue
            values: dict[str, str] = {}
            for name, cell in zip(names, cells, strict=True):
                if name:
                    values[COLUMNS[name]] = cell.strip()
            problem = _check(values)
            if problem:
                errors.append((number, problem))
                continue
            key = values.get("user_id") or values.get("email", "").lower()
            if key in seen:
                errors.append((number, f"{key} already appears on line {seen[key]}"))
                continue
            seen[key] = number
            rows.append(
                HrRow(
                    line=number,
                    user_id=values.get("user_id", ""),
                    email=values.get("email", "").lower(),
                    manager=values.get("manager", ""),
                    department=normalise_tag(values["department"]) if values.get("department") else None,
                    industry=normalise_tag(values["industry"]) if values.get("industry") else None,
                    seniority=values["seniority"].lower() if values.get("seniority") else None,
                )
            )
    except csv.Error as exc:
        errors.append((reader.line_num, f"not valid CSV ({exc})"))
    return rows, errors


def _check(values: dict[str, str]) -> str:
    user_id, email, manager = values.get("user_id", ""), values.get("email", ""), values.get("manager", "")
    if not user_id and not email:
        return "needs a user_id or an email"
    if user_id and not _USER_ID.match(user_id):
        return f"{user_id!r} is not a Slack user id (like U012ABCDEF)"
    if email and not _EMAIL.match(email):
        return f"{email!r} is not an email address"
    if manager and not (_USER_ID.match(manager) or _EMAIL.match(manager)):
        return f"manager {manager!r} is neither a Slack user id nor an email"
    if manager and manager.lower() in (user_id.lower(), email.lower()):
        return "a person cannot be their own manager"
    if values.get("seniority") and values["seniority"].lower() not in SENIORITY_RANK:
        return f"seniority {values['seniority']!r} is not one of {', '.join(SENIORITY_RANK)}"
    for name in ("department", "industry"):
        if len(values.get(name, "")) > 100:
            return f"{name} is longer than 100 characters"
    return ""


def import_people(
    *,
    session: Session,
    team_id: str,
    text: str,
    actor: str,
    now: datetime,
    resolve_email: Callable[[str], str | None] | None = None,
    source: str = "csv",
) -> ImportReport:
    """Check the whole file, then write every row in one transaction (or nothing when any line is bad).

    Args:
        session: Open session (committed on success, rolled back on any error).
        team_id: Workspace.
        text: The CSV text.
        actor: Who imports (Slack user id, or ``cli``); written to the audit log.
        now: The clock.
        resolve_email: Optional lookup of a Slack user id by email (e.g. ``users.lookupByEmail``) for managers
            who are not in the program.
        source: Where the file came from, for the audit log.

    Returns:
        The report; ``report.ok`` is False when nothing was written.
    """
    report = ImportReport()
    rows, report.errors = parse_people_csv(text)
    by_user, by_email, user_by_email = coordination.profiles_by_key(session=session, team_id=team_id)
    file_user_by_email = {r.email: r.user_id for r in rows if r.email and r.user_id}
    updates: list[tuple[int, dict[str, Any]]] = []
    for row in rows:
        participant_id = by_user.get(row.user_id) if row.user_id else by_email.get(row.email)
        if participant_id is None and row.user_id and row.email:
            participant_id = by_email.get(row.email)
        manager_id: str | None = None
        if row.manager:
            if _USER_ID.match(row.manager):
                manager_id = row.manager
            else:
                email = row.manager.lower()
                manager_id = file_user_by_email.get(email) or user_by_email.get(email)
                if manager_id is None and resolve_email is not None:
                    manager_id = resolve_email(email)
                if manager_id is None:
                    report.errors.append((row.line, f"no Slack user has the manager's email {row.manager}"))
                    continue
        if participant_id is None:
            report.skipped.append((row.line, f"{row.user_id or row.email} is not in the program"))
            continue
        fields: dict[str, Any] = {}
        if row.manager:
            fields["manager_id"] = manager_id
        if row.email:
            fields["email"] = row.email
        for name in ("department", "industry", "seniority"):
            value = getattr(row, name)
            if value is not None:
                fields[name] = value
        if fields:
            updates.append((participant_id, fields))
    report.errors.sort()
    if report.errors:
        return report
    try:
        report.updated = coordination.apply_hr_fields(session=session, team_id=team_id, updates=updates, now=now)
        coordination.record_audit(
            session=session,
            team_id=team_id,
            actor=actor,
            action="people.import",
            target=source[:200],
            detail={"updated": report.updated, "skipped": len(report.skipped)},
            now=now,
            commit=False,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report
