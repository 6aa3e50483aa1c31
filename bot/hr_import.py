"""HR import: manager, department and other HR fields from a CSV, keyed by Slack ID or email.

One reader serves both the command line (``mentorbot import people.csv``) and the Slack upload:
:func:`read_people_file` takes the file's bytes, :func:`plan_import` checks every row against the
workspace, :func:`apply_plan` writes.

The file has a header row. Columns (any order, case-insensitive; separated by ``,`` or ``;``):

==================  ==============================================================
``user_id``         Slack user id (``U...``/``W...``) of the person; or
``email``           their work email (one of the two is required on every row)
``manager``         their manager's Slack user id or email; or ``manager_id`` (a Slack
                    id) and/or ``manager_email`` (the first one filled in is used)
``department``      department (free text, normalised like signup tags)
``industry``        industry
``seniority``       one of the signup seniority levels
==================  ==============================================================

What happens to a file:

- It must be UTF-8 text (a byte-order mark is fine); anything else is refused with the reason, so no name is
  stored with replacement characters. A missing header or key column refuses the file too.
- Other columns are ignored, with a note.
- A row with a problem (a malformed id or email, a duplicate, an unknown seniority, a manager email no Slack
  user has, a person managing themself, a manager cycle) is reported with its line and left out. The other
  rows are imported only after confirmation (a button in Slack, ``--yes`` on the command line).
- Warnings do not stop a row: an email that belongs to another participant (the email is then left as it
  was), a manager who is also the person's mentor in an open pair.
- Rows for people who have not signed up are reported as skipped.
- Fields set by an import are remembered on the profile: the person's later profile edits keep them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.profiles import SENIORITY_RANK, normalise_tag
from bot.views.words import counted
from storage import coordination
from storage.vocab import ImportStatus

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
COLUMNS = {
    "user_id": "user_id",
    "slack_id": "user_id",
    "email": "email",
    "manager": "manager",
    "manager_id": "manager_id",
    "manager_email": "manager_email",
    "department": "department",
    "industry": "industry",
    "seniority": "seniority",
}
MAX_BYTES = 5_000_000
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class HrRow:
    """One parsed line of the file (``manager`` is a Slack id or an email, as written)."""

    line: int
    user_id: str = ""
    email: str = ""
    manager: str = ""
    department: str | None = None
    industry: str | None = None
    seniority: str | None = None


@dataclass
class ParsedFile:
    """What the file says: good rows, rows with problems (line, message), notes, or why it is refused."""

    rows: list[HrRow] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: str = ""


def decode_people_file(raw: bytes) -> tuple[str, str]:
    """The file's text, or ``("", reason)`` when it cannot be read as UTF-8 (with or without a BOM)."""
    if len(raw) > MAX_BYTES:
        return "", f"the file is larger than {MAX_BYTES // 1_000_000} MB"
    body = raw[len(BOM) :] if raw.startswith(BOM) else raw
    try:
        return body.decode("utf-8"), ""
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        return "", (
            f"the file is not UTF-8 text (line {line} has the byte 0x{body[exc.start]:02X}, as Excel's "
            "'CSV' or Windows-1252 files do). Save it as 'CSV UTF-8' and import it again"
        )


def _delimiter(text: str) -> str:
    """``;`` or ``,``, whichever the header line is separated by (spreadsheets in many locales write ``;``)."""
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(header, delimiters=",;").delimiter
    except csv.Error:
        return ";" if header.count(";") > header.count(",") else ","


def parse_people_csv(text: str) -> ParsedFile:
    """Parse and check the file's text (pure)."""
    parsed = ParsedFile()
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        parsed.refused = f"the file is larger than {MAX_BYTES // 1_000_000} MB"
        return parsed
    text = text.lstrip("\ufeff")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        parsed.refused = "the file is empty: expected a header row such as user_id,email,manager,department"
        return parsed
    names = [h.strip().lower() for h in header]
    ignored = [h for h in names if h and h not in COLUMNS]
    if ignored:
        parsed.notes.append(f"Ignored {'column' if len(ignored) == 1 else 'columns'} {', '.join(ignored)}.")
    if not {"user_id", "slack_id", "email"} & set(names):
        parsed.refused = "a user_id or an email column is required to know whose row it is"
        return parsed
    if delimiter == ";":
        parsed.notes.append("Columns are separated by semicolons.")
    seen: dict[str, int] = {}
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                parsed.problems.append((number, f"expected {len(names)} values, found {len(cells)}"))
                continue
            values: dict[str, str] = {}
            for name, cell in zip(names, cells, strict=True):
                if name in COLUMNS:
                    values[COLUMNS[name]] = cell.strip()
            manager = values.get("manager") or values.get("manager_id") or values.get("manager_email") or ""
            problem = _check(values, manager)
            if problem:
                parsed.problems.append((number, problem))
                continue
            key = values.get("user_id") or values.get("email", "").lower()
            if key in seen:
                parsed.problems.append((number, f"{key} already appears on line {seen[key]}"))
                continue
            seen[key] = number
            parsed.rows.append(
                HrRow(
                    line=number,
                    user_id=values.get("user_id", ""),
                    email=values.get("email", "").lower(),
                    manager=manager,
                    department=normalise_tag(values["department"]) if values.get("department") else None,
                    industry=normalise_tag(values["industry"]) if values.get("industry") else None,
                    seniority=values["seniority"].lower() if values.get("seniority") else None,
                )
            )
    except csv.Error as exc:
        parsed.problems.append((reader.line_num, f"not valid CSV ({exc})"))
    return parsed


def read_people_file(raw: bytes) -> ParsedFile:
    """Decode and parse an uploaded or local file: the one reader for the command line and Slack."""
    text, reason = decode_people_file(raw)
    if reason:
        return ParsedFile(refused=reason)
    return parse_people_csv(text)


def _check(values: dict[str, str], manager: str) -> str:
    user_id, email = values.get("user_id", ""), values.get("email", "")
    if not user_id and not email:
        return "needs a user_id or an email"
    if user_id and not _USER_ID.match(user_id):
        return f"{user_id!r} is not a Slack user id (like U012ABCDEF)"
    if email and not _EMAIL.match(email):
        return f"{email!r} is not an email address"
    if values.get("manager_id") and not _USER_ID.match(values["manager_id"]):
        return f"manager_id {values['manager_id']!r} is not a Slack user id"
    if values.get("manager_email") and not _EMAIL.match(values["manager_email"]):
        return f"manager_email {values['manager_email']!r} is not an email address"
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


# ---------------------------------------------------------------------- the plan: rows checked against the workspace


@dataclass
class PlannedUpdate:
    """HR fields to write onto one participant's profile."""

    line: int
    user_id: str
    fields: dict[str, Any]


@dataclass
class ImportPlan:
    """A checked file: what would be written, and everything the coordinator should know first."""

    updates: list[PlannedUpdate] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: str = ""

    @property
    def needs_confirmation(self) -> bool:
        """Some rows have problems and others could be imported: ask before importing those."""
        return bool(self.problems) and bool(self.updates) and not self.refused

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ImportPlan:
        data = data or {}
        return cls(
            updates=[
                PlannedUpdate(int(u["line"]), str(u["user_id"]), dict(u["fields"])) for u in data.get("updates", [])
            ],
            skipped=[(int(n), str(m)) for n, m in data.get("skipped", [])],
            problems=[(int(n), str(m)) for n, m in data.get("problems", [])],
            warnings=[(int(n), str(m)) for n, m in data.get("warnings", [])],
            notes=[str(n) for n in data.get("notes", [])],
            refused=str(data.get("refused", "")),
        )


def _cycles(managers: dict[str, str]) -> dict[str, list[str]]:
    """People on a management cycle (each has one manager), each with the cycle through them."""
    on_cycle: dict[str, list[str]] = {}
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = done
    for start in managers:
        walk: list[str] = []
        node: str | None = start
        while node is not None and state.get(node, 0) == 0:
            state[node] = 1
            walk.append(node)
            node = managers.get(node)
        if node is not None and state.get(node) == 1:  # closed a loop on this walk
            loop = walk[walk.index(node) :]
            for person in loop:
                on_cycle[person] = loop[loop.index(person) :] + loop[: loop.index(person)] + [person]
        for person in walk:
            state[person] = 2
    return on_cycle


def plan_import(
    *,
    session: Session,
    team_id: str,
    parsed: ParsedFile,
    resolve_email: Callable[[str], str | None] | None = None,
) -> ImportPlan:
    """Check a parsed file against the workspace: who each row is, who their manager is, what to warn about.

    Args:
        session: Open session (only read).
        team_id: Workspace.
        parsed: :func:`read_people_file`'s result.
        resolve_email: Optional lookup of a Slack user id by email (``users.lookupByEmail``) for managers who
            are not in the program.

    Returns:
        The plan; nothing is written.
    """
    plan = ImportPlan(problems=list(parsed.problems), notes=list(parsed.notes), refused=parsed.refused)
    if parsed.refused:
        return plan
    by_user, by_email, user_by_email = coordination.profiles_by_key(session=session, team_id=team_id)
    user_by_participant = {pid: uid for uid, pid in by_user.items()}
    email_of = {user_by_participant[pid]: email for email, pid in by_email.items() if pid in user_by_participant}
    mentors_of = coordination.open_mentors_by_mentee(session=session, team_id=team_id)
    file_user_by_email = {r.email: r.user_id for r in parsed.rows if r.email and r.user_id}
    candidates: list[tuple[HrRow, str, str | None]] = []  # row, person's user id ("" if unknown), manager id
    for row in parsed.rows:
        participant_id = by_user.get(row.user_id) if row.user_id else by_email.get(row.email)
        if participant_id is None and row.user_id and row.email:
            participant_id = by_email.get(row.email)
        person = user_by_participant.get(participant_id, "") if participant_id is not None else row.user_id
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
                    plan.problems.append((row.line, f"no Slack user has the manager's email {row.manager}"))
                    continue
        if participant_id is None:
            plan.skipped.append((row.line, f"{row.user_id or row.email} is not in the program"))
            continue
        candidates.append((row, person, manager_id))

    # Management lines as they would be after the import: refuse rows that close a loop (or manage themselves).
    managers = coordination.managers_by_user(session=session, team_id=team_id)
    for row, person, manager_id in candidates:
        if row.manager and manager_id:
            managers[person] = manager_id
    loops = _cycles(managers)
    for row, person, manager_id in candidates:
        if row.manager and person in loops:
            loop = loops[person]
            message = (
                "a person cannot be their own manager"
                if len(loop) == 2
                else "the managers form a cycle: " + " → ".join(loop)
            )
            plan.problems.append((row.line, message))
            continue
        fields: dict[str, Any] = {}
        if row.manager:
            fields["manager_id"] = manager_id
            if manager_id in mentors_of.get(person, set()):
                plan.warnings.append(
                    (row.line, f"{manager_id} is {person}'s manager and also their mentor in an open pair")
                )
        if row.email:
            owner = user_by_email.get(row.email)
            if owner is not None and owner != person:
                plan.warnings.append(
                    (row.line, f"{row.email} is the email of {owner}, another participant: {person}'s email is kept")
                )
            elif email_of.get(person) != row.email:
                fields["email"] = row.email
        for name in ("department", "industry", "seniority"):
            value = getattr(row, name)
            if value is not None:
                fields[name] = value
        if fields:
            plan.updates.append(PlannedUpdate(row.line, person, fields))
    plan.problems.sort()
    plan.warnings.sort()
    return plan


def apply_plan(*, session: Session, team_id: str, plan: ImportPlan, actor: str, source: str, now: datetime) -> int:
    """Write a plan's updates and the audit entry, in the caller's transaction. Commits.

    Returns:
        How many profiles were updated (people who left since the plan was made are passed over).
    """
    by_user, _, _ = coordination.profiles_by_key(session=session, team_id=team_id)
    updates = [(by_user[u.user_id], u.fields) for u in plan.updates if u.user_id in by_user]
    updated = coordination.apply_hr_fields(session=session, team_id=team_id, updates=updates, now=now)
    coordination.record_audit(
        session=session,
        team_id=team_id,
        actor=actor,
        action="people.import",
        target=source[:200],
        detail={"updated": updated, "skipped": len(plan.skipped), "left_out": len(plan.problems)},
        now=now,
        commit=False,
    )
    session.commit()
    return updated


# ---------------------------------------------------------------------- the report


@dataclass
class ImportReport:
    """An import's outcome: the plan, whether it was written, and how many profiles changed."""

    plan: ImportPlan
    applied: bool = False
    updated: int = 0

    @property
    def ok(self) -> bool:
        """True when the file was imported in full (no row left out, nothing refused)."""
        return self.applied and not self.plan.problems

    @property
    def errors(self) -> list[tuple[int, str]]:
        return self.plan.problems

    @property
    def skipped(self) -> list[tuple[int, str]]:
        return self.plan.skipped

    def summary(self, *, limit: int = 30, confirm_hint: str = "") -> str:
        """A readable, line-by-line account; ``confirm_hint`` says how to import the other rows."""
        plan = self.plan
        if plan.refused:
            return f"Nothing was imported: {plan.refused}."
        lines: list[str] = []
        if self.applied:
            lines.append(f"Imported HR fields for {counted(self.updated, 'person', 'people')}.")
        elif plan.problems and plan.updates:
            lines.append(
                f"Nothing is imported yet: {counted(len(plan.problems), 'row')} "
                f"{'has a problem' if len(plan.problems) == 1 else 'have problems'} and will be left out. "
                f"{counted(len(plan.updates), 'other row')} can be imported. {confirm_hint}".rstrip()
            )
        elif plan.problems:
            lines.append(f"Nothing was imported: every row has a problem ({counted(len(plan.problems), 'row')}).")
        else:
            lines.append("Nothing to import: no row changes a profile.")
        lines += plan.notes
        for title, items in (
            ("Left out" if self.applied else "Problems", plan.problems),
            ("Check", plan.warnings),
            ("Skipped (not in the program yet)", plan.skipped),
        ):
            if not items:
                continue
            lines.append(f"{title}:")
            lines += [f"line {n}: {msg}" for n, msg in items[:limit]]
            if len(items) > limit:
                lines.append(f"... and {len(items) - limit} more")
        return "\n".join(lines)


def import_people(
    *,
    session: Session,
    team_id: str,
    text: str | None = None,
    raw: bytes | None = None,
    actor: str,
    now: datetime,
    resolve_email: Callable[[str], str | None] | None = None,
    source: str = "csv",
    confirmed: bool = False,
) -> ImportReport:
    """Read, check and (when nothing needs a decision, or ``confirmed``) write a file in one transaction.

    Args:
        session: Open session (committed when written, rolled back on any error).
        team_id: Workspace.
        text: The CSV text, or
        raw: the file's bytes (decoded as UTF-8, with or without a BOM).
        actor: Who imports (Slack user id, or ``cli``); written to the audit log.
        now: The clock.
        resolve_email: Optional lookup of a Slack user id by email.
        source: Where the file came from, for the audit log.
        confirmed: Import the rows without problems even when others have some.

    Returns:
        The report; ``report.applied`` says whether anything was written.
    """
    parsed = read_people_file(raw) if raw is not None else parse_people_csv(text or "")
    plan = plan_import(session=session, team_id=team_id, parsed=parsed, resolve_email=resolve_email)
    report = ImportReport(plan)
    if plan.refused or not plan.updates or (plan.problems and not confirmed):
        return report
    try:
        report.updated = apply_plan(session=session, team_id=team_id, plan=plan, actor=actor, source=source, now=now)
        report.applied = True
    except Exception:
        session.rollback()
        raise
    return report


# ---------------------------------------------------------------------- the Slack upload: received, checked, decided


def check_upload(
    *,
    session: Session,
    team_id: str,
    import_id: int,
    raw: bytes,
    actor: str,
    source: str,
    now: datetime,
    resolve_email: Callable[[str], str | None] | None = None,
) -> tuple[ImportReport, bool]:
    """Read and check an uploaded file that was recorded when submitted; write it when nothing needs a decision.

    Returns:
        The report, and whether the import now waits for a coordinator's confirmation (some rows have problems).
    """
    plan = plan_import(session=session, team_id=team_id, parsed=read_people_file(raw), resolve_email=resolve_email)
    report = ImportReport(plan)
    if plan.needs_confirmation:
        text = report.summary(confirm_hint="Import them now, or cancel and fix the file?")
        coordination.move_hr_import(
            session=session,
            import_id=import_id,
            from_status=ImportStatus.RECEIVED,
            to_status=ImportStatus.STAGED,
            now=now,
            report=text,
            plan=plan.to_json(),
        )
        session.commit()
        return report, True
    if plan.refused or not plan.updates:
        coordination.move_hr_import(
            session=session,
            import_id=import_id,
            from_status=ImportStatus.RECEIVED,
            to_status=ImportStatus.REFUSED,
            now=now,
            report=report.summary(),
        )
        session.commit()
        return report, False
    if coordination.move_hr_import(
        session=session, import_id=import_id, from_status=ImportStatus.RECEIVED, to_status=ImportStatus.APPLIED, now=now
    ):
        report.updated = apply_plan(session=session, team_id=team_id, plan=plan, actor=actor, source=source, now=now)
        report.applied = True
    return report, False


def confirm_import(*, session: Session, team_id: str, import_id: int, actor: str, now: datetime) -> ImportReport | None:
    """Import the rows without problems of a staged file (once, even on a double click). Commits.

    Returns:
        The report, or None when the import is not waiting any more (done, cancelled, or another workspace's).
    """
    row = coordination.get_hr_import(session=session, team_id=team_id, import_id=import_id)
    if row is None or row.status != ImportStatus.STAGED:
        return None
    plan = ImportPlan.from_json(row.plan)
    if not coordination.move_hr_import(
        session=session, import_id=import_id, from_status=ImportStatus.STAGED, to_status=ImportStatus.APPLIED, now=now
    ):
        return None
    report = ImportReport(plan, applied=True)
    report.updated = apply_plan(session=session, team_id=team_id, plan=plan, actor=actor, source=row.source, now=now)
    return report


def cancel_import(*, session: Session, team_id: str, import_id: int, now: datetime) -> bool:
    """Drop a staged file: nothing is written. Commits; False when it was not waiting any more."""
    row = coordination.get_hr_import(session=session, team_id=team_id, import_id=import_id)
    if row is None:
        return False
    done = coordination.move_hr_import(
        session=session,
        import_id=import_id,
        from_status=ImportStatus.STAGED,
        to_status=ImportStatus.CANCELLED,
        now=now,
    )
    session.commit()
    return done


def refuse_upload(*, session: Session, import_id: int, reason: str, now: datetime) -> None:
    """The uploaded file could not be fetched: record why. Commits."""
    coordination.move_hr_import(
        session=session,
        import_id=import_id,
        from_status=ImportStatus.RECEIVED,
        to_status=ImportStatus.REFUSED,
        now=now,
        report=f"Nothing was imported: {reason}.",
    )
    session.commit()
