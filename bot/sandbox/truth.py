"""What the figures should say, computed from the ledger of what simulated people did (never the app's tables),
and the checks that compare them with what a coordinator was shown.

Each figure follows the definition in README (section "Figures: what each number counts"); the app computes the
same figure from its own records, and a test asserts the two agree.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.sandbox.ledger import Behaviour, Ledger, PairTruth
from bot.sandbox.messages import PAIR_PROMPTS
from storage.vocab import CheckinOutcome, CloseReason, FitAnswer, Flag, PairSource, PairStatus, Role

CLOSE_AFTER_END = timedelta(days=14)  # a pair nobody closes is closed this long after its end date


@dataclass
class Figures:
    """The coordinator's figures as the ledger says they should be."""

    participants: dict[str, int] = field(default_factory=dict)  # by role, people who left not counted
    pairs: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    closed_by_reason: dict[str, int] = field(default_factory=dict)
    mentees: int = 0
    mentees_paired: int = 0
    waiting_mentees: list[str] = field(default_factory=list)
    waiting_mentors: list[str] = field(default_factory=list)
    meetings: int = 0
    checkins_sent: int = 0
    checkins_met: int = 0
    checkins_not_yet: int = 0
    checkins_ignored: int = 0
    checkins_open: int = 0
    booked: int = 0  # meetings booked from proposed times (a move is not a new booking)
    booked_met: int = 0  # "Did you meet?" answered yes
    survey_answers: int = 0
    survey_people: int = 0
    satisfaction: float | None = None
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    flags: dict[str, int] = field(default_factory=dict)

    @property
    def checkins_answered(self) -> int:
        return self.checkins_met + self.checkins_not_yet

    @property
    def response_rate(self) -> float | None:
        closed = self.checkins_answered + self.checkins_ignored
        return self.checkins_answered / closed if closed else None

    @property
    def nps(self) -> float | None:
        people = self.promoters + self.passives + self.detractors
        return 100.0 * (self.promoters - self.detractors) / people if people else None

    @property
    def match_rate(self) -> float | None:
        return self.mentees_paired / self.mentees if self.mentees else None


def expected_state(pair: PairTruth, now: datetime) -> tuple[str, str]:
    """(status, close reason) a pair should be in at ``now``, from what its people did."""
    if pair.closed_how is not None:
        return PairStatus.CLOSED, pair.closed_how
    said_not = FitAnswer.NOT in pair.fit.values()
    if pair.ends_on and now.date() >= date.fromisoformat(pair.ends_on) + CLOSE_AFTER_END:
        if said_not:
            return PairStatus.CLOSED, CloseReason.NOT_A_FIT
        return PairStatus.CLOSED, CloseReason.INACTIVE if went_quiet(pair) else CloseReason.COMPLETED
    return "open", ""


def went_quiet(pair: PairTruth) -> bool:
    """The pair never logged a meeting, or its last two check-ins went unanswered with no meeting after them."""
    if not pair.meetings:
        return True
    done = [c for c in pair.checkins if c.outcome is not None]
    if len(done) < 2 or any(c.outcome != CheckinOutcome.IGNORED for c in done[-2:]):
        return False
    last_meeting = max((m.at for m in pair.meetings), default=None)
    return last_meeting is None or last_meeting < done[-2].at


def finalise(ledger: Ledger) -> None:
    """A check-in still open when its pair closed was ignored."""
    for pair in ledger.pairs.values():
        for checkin in pair.checkins:
            if checkin.outcome is None and pair.closed_at is not None and checkin.at <= pair.closed_at:
                checkin.outcome = CheckinOutcome.IGNORED


def expected_figures(ledger: Ledger, now: datetime) -> Figures:
    """Every figure of /mentor stats as the ledger says it should be at ``now``."""
    finalise(ledger)
    out = Figures()
    present = {u: p for u, p in ledger.people.items() if p.signed_up_at is not None and p.left_at is None}
    out.participants = dict(Counter(str(p.role) for p in present.values()))
    out.pairs = len(ledger.pairs)
    out.by_source = dict(Counter(str(p.source) for p in ledger.pairs.values()))
    states = {p.pair_id: expected_state(p, now) for p in ledger.pairs.values()}
    out.by_status = dict(Counter(s for s, _ in states.values()))
    out.closed_by_reason = dict(Counter(r for s, r in states.values() if s == PairStatus.CLOSED))
    open_pairs = [p for p in ledger.pairs.values() if states[p.pair_id][0] != PairStatus.CLOSED]
    wants_mentor = [u for u, p in present.items() if p.role in (Role.MENTEE, Role.BOTH)]
    out.mentees = len(wants_mentor)
    as_mentee = {p.mentee for p in ledger.pairs.values()}
    out.mentees_paired = sum(1 for u in wants_mentor if u in as_mentee)
    for user in wants_mentor:
        person = present[user]
        if person.paused_at(now) or any(p.mentee == user for p in open_pairs):
            continue
        closed = sorted((p for p in ledger.pairs.values() if p.mentee == user), key=lambda p: p.pair_id)
        if not closed or closed[-1].rematch_asked_by == user:  # never paired, or their latest pair they left
            out.waiting_mentees.append(user)
    for user, person in present.items():
        mentor = person.role in (Role.MENTOR, Role.BOTH) and not person.paused_at(now)
        if mentor and not any(p.mentor == user for p in ledger.pairs.values()):
            out.waiting_mentors.append(user)  # a mentor who already mentored in the cohort is not waiting
    for pair in ledger.pairs.values():
        out.meetings += len(pair.meetings)
        out.booked += len(pair.bookings)
        out.booked_met += len(pair.meet_answers)
        ended = states[pair.pair_id][0] == PairStatus.CLOSED
        for checkin in pair.checkins:
            out.checkins_sent += 1
            if checkin.outcome == CheckinOutcome.MET:
                out.checkins_met += 1
            elif checkin.outcome == CheckinOutcome.NOT_YET:
                out.checkins_not_yet += 1
            elif checkin.outcome == CheckinOutcome.IGNORED or ended:  # still open when the pair ended: ignored
                out.checkins_ignored += 1
            else:
                out.checkins_open += 1
    answers = [s for p in ledger.pairs.values() for s in p.surveys if s.user_id in present]
    out.survey_answers = len(answers)
    latest = {s.user_id: s for s in sorted(answers, key=lambda s: s.at)}
    out.survey_people = len(latest)
    if latest:
        out.satisfaction = sum(s.satisfaction for s in latest.values()) / len(latest)
    for answer in latest.values():
        if answer.recommend >= 9:
            out.promoters += 1
        elif answer.recommend >= 7:
            out.passives += 1
        else:
            out.detractors += 1
    out.flags = dict(Counter(str(f.flag) for f in ledger.flags() if f.user_id in present))
    return out


# ---------------------------------------------------------------------- reading what the coordinator was shown


def _int(pattern: str, text: str) -> int | None:
    found = re.search(pattern, text)
    return int(found.group(1).replace(",", "")) if found else None


def read_stats(text: str) -> dict[str, Any]:
    """The figures of a /mentor stats message (see ``bot.views.coordinator.stats_message`` for its lines)."""
    line = {m.group(1): m.group(2) for m in re.finditer(r"\*([A-Za-z' -]+):\* ([^\n]*)", text)}
    pairs = line.get("Pairs", "")
    checkins = line.get("Check-ins", "")
    surveys = line.get("Surveys", "")
    closed = line.get("Closed pairs", "")
    flags = line.get("Flags", "")
    waiting = line.get("Waiting list", "")
    booked = line.get("Booked meetings", "")
    return {
        "booked": _int(r"^(\d+) booked", booked),
        "booked met": _int(r"(\d+) met", booked),
        "pairs": _int(r"^(\d+) made", pairs),
        "by a round": _int(r"(\d+) by a round", pairs),
        "by hand": _int(r"(\d+) by hand", pairs),
        "active": _int(r"(\d+) active", pairs),
        "paused": _int(r"(\d+) paused", pairs),
        "at risk": _int(r"(\d+) at risk", pairs),
        "closed": _int(r"(\d+) closed", pairs),
        "completed": _int(r"(\d+) completed", closed),
        "not a fit": _int(r"(\d+) not a fit", closed),
        "inactive": _int(r"(\d+) inactive", closed),
        "left": _int(r"(\d+) left the program", closed),
        "meetings": _int(r"^(\d+) logged", line.get("Meetings", "")),
        "checkins sent": _int(r"^(\d+) sent", checkins),
        "checkins answered": _int(r"(\d+) answered", checkins),
        "checkins met": _int(r"\((\d+) met", checkins),
        "checkins not yet": _int(r"(\d+) not yet", checkins),
        "checkins ignored": _int(r"(\d+) ignored", checkins),
        "checkins open": _int(r"(\d+) open", checkins),
        "response rate": _int(r"response rate (\d+)%", checkins),
        "survey answers": _int(r"^(\d+) answers?", surveys),
        "survey people": _int(r"from (\d+) (?:people|person)", surveys),
        "satisfaction": float(m.group(1)) if (m := re.search(r"satisfaction ([\d.]+) / 5", surveys)) else None,
        "nps": int(m.group(1)) if (m := re.search(r"NPS ([+-]?\d+)", surveys)) else None,
        "promoters": _int(r"(\d+) promoters?", surveys),
        "passives": _int(r"(\d+) passives?", surveys),
        "detractors": _int(r"(\d+) detractors?", surveys),
        "flag not a fit": _int(r"(\d+) not a fit", flags),
        "flag need help": _int(r"(\d+) need help", flags),
        "waiting mentees": _int(r"^(\d+) mentees? without a mentor", waiting),
        "waiting mentors": _int(r"(\d+) mentors? without a mentee", waiting),
        "match rate": _int(r"^(\d+)%", line.get("Match rate", "")),
    }


def stats_mismatches(shown: dict[str, Any], truth: Figures) -> list[str]:
    """Each figure the stats message shows that differs from the truth."""
    expected: dict[str, Any] = {
        "pairs": truth.pairs,
        "by a round": truth.by_source.get(PairSource.ALGORITHM, 0),
        "by hand": truth.by_source.get(PairSource.MANUAL, 0),
        "closed": truth.by_status.get(PairStatus.CLOSED, 0),
        "completed": truth.closed_by_reason.get(CloseReason.COMPLETED, 0),
        "not a fit": truth.closed_by_reason.get(CloseReason.NOT_A_FIT, 0),
        "inactive": truth.closed_by_reason.get(CloseReason.INACTIVE, 0),
        "left": truth.closed_by_reason.get(CloseReason.LEFT_PROGRAM, 0),
        "meetings": truth.meetings,
        "booked": truth.booked,
        "booked met": truth.booked_met,
        "checkins sent": truth.checkins_sent,
        "checkins answered": truth.checkins_answered,
        "checkins met": truth.checkins_met,
        "checkins not yet": truth.checkins_not_yet,
        "checkins ignored": truth.checkins_ignored,
        "checkins open": truth.checkins_open,
        "response rate": round(100 * truth.response_rate) if truth.response_rate is not None else None,
        "survey answers": truth.survey_answers,
        "survey people": truth.survey_people,
        "satisfaction": round(truth.satisfaction, 2) if truth.satisfaction is not None else None,
        "nps": round(truth.nps) if truth.nps is not None else None,
        "promoters": truth.promoters,
        "passives": truth.passives,
        "detractors": truth.detractors,
        "flag not a fit": truth.flags.get(Flag.NOT_A_FIT, 0),
        "flag need help": truth.flags.get(Flag.NEED_HELP, 0),
        "waiting mentees": len(truth.waiting_mentees),
        "waiting mentors": len(truth.waiting_mentors),
        "match rate": round(100 * truth.match_rate) if truth.match_rate is not None else None,
    }
    problems = [
        f"{name}: shown {shown.get(name)!r}, truth {value!r}"
        for name, value in expected.items()
        if shown.get(name) != value
    ]
    shown_open = sum(shown.get(s) or 0 for s in ("active", "paused", "at risk"))
    if shown_open != truth.by_status.get("open", 0):
        problems.append(
            f"open pairs (active, paused, at risk): shown {shown_open}, truth {truth.by_status.get('open', 0)}"
        )
    return problems


def read_digest_flags(digests: list[str]) -> Counter[tuple[int, str, str]]:
    """(pair id, role, flag) of every flag the weekly digests listed."""
    found: Counter[tuple[int, str, str]] = Counter()
    labels = {"\u201cnot a fit\u201d": Flag.NOT_A_FIT, "\u201cneed help\u201d": Flag.NEED_HELP}
    for text in digests:
        for pair_id, role, label in re.findall(r"pair #(\d+): the (mentee|mentor) said (\u201c[^\u201d]+\u201d)", text):
            if label in labels:
                found[(int(pair_id), role, str(labels[label]))] += 1
    return found


def read_digest_at_risk(digests: list[str]) -> set[str]:
    """The user ids named in the digests' "Pairs at risk" sections."""
    named: set[str] = set()
    for text in digests:
        section = text.partition("*Pairs at risk*")[2].partition("*")[0]
        named |= set(re.findall(r"<@([UW][A-Z0-9]+)>", section))
    return named


def export_mismatches(rows: list[dict[str, str]], ledger: Ledger, now: datetime) -> list[str]:
    """Each pair row of the export that does not say what happened to the pair."""
    problems = []
    by_id = {int(r["pair_id"]): r for r in rows if r.get("pair_id", "").isdigit()}
    for pair in ledger.pairs.values():
        row = by_id.get(pair.pair_id)
        if row is None:
            problems.append(f"pair {pair.pair_id}: missing from the export")
            continue
        status, reason = expected_state(pair, now)
        shown_status = row.get("status", "")
        if status == PairStatus.CLOSED and (shown_status != PairStatus.CLOSED or row.get("close_reason") != reason):
            problems.append(
                f"pair {pair.pair_id} ({pair.behaviour}): export says {shown_status}/{row.get('close_reason')}, "
                f"truth closed/{reason}"
            )
        if status != PairStatus.CLOSED and shown_status == PairStatus.CLOSED:
            problems.append(f"pair {pair.pair_id} ({pair.behaviour}): export says closed, the pair is still open")
        checks = {
            "meetings": len(pair.meetings),
            "source": str(pair.source),
            "hand_reason": pair.hand_reason,
            "checkins_sent": len(pair.checkins),
            "checkins_answered": sum(
                1 for c in pair.checkins if c.outcome in (CheckinOutcome.MET, CheckinOutcome.NOT_YET)
            ),
        }
        for column, value in checks.items():
            if str(row.get(column)) != str(value):
                problems.append(f"pair {pair.pair_id}: export {column}={row.get(column)!r}, truth {value!r}")
    return problems


def behaviour_mismatches(ledger: Ledger, rows: list[dict[str, str]], now: datetime) -> list[str]:
    """Pairs whose final state does not fit their behaviour (read from the export's pair rows)."""
    fits = {
        Behaviour.DILIGENT: {CloseReason.COMPLETED},
        Behaviour.EARLY_FINISHER: {CloseReason.COMPLETED},
        Behaviour.PAUSER: {CloseReason.COMPLETED},
        Behaviour.SILENT: {CloseReason.INACTIVE},
        Behaviour.NOT_A_FIT: {CloseReason.NOT_A_FIT},
        Behaviour.LEAVER: {CloseReason.LEFT_PROGRAM},
    }
    by_id = {int(r["pair_id"]): r for r in rows if r.get("pair_id", "").isdigit()}
    problems = []
    for pair in ledger.pairs.values():
        row = by_id.get(pair.pair_id, {})
        ended = pair.ends_on and now.date() >= date.fromisoformat(pair.ends_on) + CLOSE_AFTER_END
        if not ended and pair.behaviour != Behaviour.LEAVER:
            continue
        if row.get("status") != PairStatus.CLOSED or row.get("close_reason") not in fits[pair.behaviour]:
            problems.append(
                f"pair {pair.pair_id} ({pair.behaviour}) ended as {row.get('status')}/{row.get('close_reason')}"
            )
    return problems


def prompts_to_held_pairs(ledger: Ledger) -> list[str]:
    """Scheduled prompts that reached a pair while one of its people had paused, or after it closed or one left."""
    problems = []
    for message in ledger.received:
        if message.kind not in PAIR_PROMPTS or message.pair_id is None:
            continue
        pair = ledger.pairs.get(message.pair_id)
        if pair is None:
            continue
        if pair.closed_at is not None and message.at > pair.closed_at:
            problems.append(f"pair {pair.pair_id}: a {message.kind} arrived after the pair closed")
        for user in pair.members():
            person = ledger.people[user]
            if person.paused_at(message.at):
                problems.append(f"pair {pair.pair_id}: a {message.kind} arrived while {user} had paused")
    return problems


def wrong_reader(ledger: Ledger, coordinators: set[str]) -> list[str]:
    """Messages that reached someone they were not meant for."""
    problems = []
    for message in ledger.received:
        people = [u for u in message.to if u not in coordinators]
        if message.kind == "coordinator_note" and people:
            problems.append(f"a private coordinator note reached {people}")
        if message.pair_id is None or len(message.to) != 1 or message.kind in ("", "ephemeral"):
            continue
        (user,) = message.to
        if user in coordinators:
            continue
        pair = ledger.pairs.get(message.pair_id)
        if pair is None:
            continue
        if user not in pair.members():
            problems.append(f"{user} received pair {pair.pair_id}'s {message.kind}")
            continue
        role = pair.role_of(user)
        other = "mentee" if role == "mentor" else "mentor"
        if re.search(rf"\byour {role}\b", message.text, re.IGNORECASE):
            problems.append(f"{user} ({role} of pair {pair.pair_id}) was told about 'your {role}': {message.text[:80]}")
        partner = pair.mentor if role == "mentee" else pair.mentee
        mentioned = set(re.findall(r"<@([UW][A-Z0-9]+)>", message.text)) - {user}
        if mentioned and partner not in mentioned:
            problems.append(f"{user}'s {message.kind} about pair {pair.pair_id} names someone else ({other} expected)")
    for message in ledger.received:
        if message.kind == "become_mentor":
            for user in message.to:
                person = ledger.people.get(user)
                if person is not None and person.role != Role.MENTEE:
                    problems.append(f"{user} ({person.role}) was invited to become a mentor")
    return problems


def flag_report(ledger: Ledger, now: datetime) -> list[str]:
    """What each flag led to, from what the people and the coordinator saw (the transcript's last section)."""
    lines = []
    for flag in sorted(ledger.flags(), key=lambda f: f.at):
        pair = ledger.pairs[flag.pair_id]
        day = flag.at.date()
        told = [
            r.at.date()
            for r in ledger.received
            if r.kind == "coordinator_note" and r.at >= flag.at and f"<@{flag.user_id}>" in r.text
        ]
        listed = [
            r.at.date()
            for r in ledger.received
            if r.kind == "" and r.channel.startswith("C0DIGEST") and f"pair #{pair.pair_id}:" in r.text
        ]
        status, reason = expected_state(pair, now)
        end = f"closed ({reason})" if status == PairStatus.CLOSED else "still open"
        lines.append(
            f"pair #{pair.pair_id}: the {flag.role} said {flag.flag.replace('_', ' ')} on {day}; "
            f"coordinators told privately {'on ' + str(told[0]) if told else 'never'}; "
            f"in the weekly digest {'of ' + str(listed[0]) if listed else 'never'}; "
            + (f"a rematch was asked for; {end}" if pair.rematch_asked_by else end)
        )
    for pair in ledger.pairs.values():
        quiet = [
            r
            for r in ledger.received
            if r.kind == "coordinator_note" and "at risk" in r.text and f"<@{pair.mentee}> (mentee)" in r.text
        ]
        if quiet:
            listed = [
                r.at.date()
                for r in ledger.received
                if r.channel.startswith("C0DIGEST") and f"<@{pair.mentee}>" in r.text.partition("*Pairs at risk*")[2]
            ]
            lines.append(
                f"pair #{pair.pair_id} went quiet: coordinators told privately and the pair marked at risk on "
                f"{quiet[0].at.date()}; in the weekly digest {'of ' + str(listed[0]) if listed else 'never'}; "
                + (
                    f"closed ({ending[1]})"
                    if (ending := expected_state(pair, now))[0] == PairStatus.CLOSED
                    else "still open"
                )
            )
    return lines
