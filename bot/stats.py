"""Program metrics: aggregates from storage, a trend, and the chart.

Each figure is defined once, in README ("Figures: what each number counts") and in the stats message's
footnote, and computed that way here. Coordinators see exact figures; where the figures are posted for people
who are not coordinators (``/mentor stats`` in a channel with other members), any figure resting on fewer than
:data:`MIN_GROUP` people (or pairs, or answers) is replaced by :data:`HIDDEN`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot import charts
from storage import coordination, stats
from storage.vocab import CheckinOutcome, PairStatus

log = logging.getLogger(__name__)

MIN_GROUP = 5
HIDDEN = "fewer than 5: hidden"
CHART_WEEKS = 104


def visible(n: int) -> bool:
    """A count may be shown: zero, or at least :data:`MIN_GROUP`."""
    return n == 0 or n >= MIN_GROUP


def count_text(n: int) -> str:
    """A count, or :data:`HIDDEN` when it describes 1 to 4 people."""
    return str(n) if visible(n) else HIDDEN


@dataclass
class ProgramStats:
    """Raw aggregates of one cohort (or the whole workspace when ``cohort_id`` is None)."""

    team_id: str
    cohort_id: int | None
    cohort_name: str
    now: datetime
    roles: dict[str, int] = field(default_factory=dict)
    capacity: dict[str, int] = field(default_factory=dict)
    mentees: dict[str, int] = field(default_factory=dict)
    pairs: dict[str, int] = field(default_factory=dict)
    closures: dict[str, int] = field(default_factory=dict)
    met_pairs: int = 0
    median_days_to_first_meeting: float | None = None
    meetings: dict[str, float] = field(default_factory=dict)
    goals: dict[str, int] = field(default_factory=dict)
    surveys: dict[str, float] = field(default_factory=dict)
    departures: int = 0
    sources: dict[str, int] = field(default_factory=dict)
    checkin_outcomes: dict[str, int] = field(default_factory=dict)
    bookings: dict[str, int] = field(default_factory=dict)  # booked / cancelled / met / rescheduled / skipped
    flags: dict[str, int] = field(default_factory=dict)
    waiting: dict[str, list[str]] = field(default_factory=dict)

    @property
    def total_pairs(self) -> int:
        return sum(self.pairs.values())

    @property
    def match_rate(self) -> float | None:
        """Mentees of the cohort ever paired in it ÷ mentees of the cohort (people who left not counted)."""
        n = self.mentees.get("mentees", 0)
        return self.mentees.get("matched", 0) / n if n else None

    @property
    def meetings_per_pair_month(self) -> float | None:
        """Meetings logged ÷ months the cohort's pairs were open."""
        months = self.meetings.get("pair_months", 0.0)
        return self.meetings.get("meetings", 0) / months if months > 0 else None

    @property
    def checkins_answered(self) -> int:
        return self.checkin_outcomes.get(CheckinOutcome.MET, 0) + self.checkin_outcomes.get(CheckinOutcome.NOT_YET, 0)

    @property
    def checkins_sent(self) -> int:
        return sum(self.checkin_outcomes.values())

    @property
    def checkin_rate(self) -> float | None:
        """Check-ins answered ÷ check-ins whose answer window closed (answered or ignored; open ones wait)."""
        closed = self.checkins_answered + self.checkin_outcomes.get(CheckinOutcome.IGNORED, 0)
        return self.checkins_answered / closed if closed else None

    @property
    def median_days(self) -> float | None:
        return self.median_days_to_first_meeting

    @property
    def satisfaction(self) -> float | None:
        """Mean of each respondent's latest satisfaction (1-5): one voice per person."""
        return self.surveys.get("mean") if self.surveys.get("rated_people", 0) else None

    @property
    def nps(self) -> float | None:
        """Net promoter score over people (-100..100): each respondent's latest "would you recommend" answer,
        % promoters (9-10) minus % detractors (0-6)."""
        people = sum(self.surveys.get(k, 0) for k in ("promoters", "passives", "detractors"))
        if not people:
            return None
        return 100.0 * (self.surveys.get("promoters", 0) - self.surveys.get("detractors", 0)) / people

    @property
    def goals_visible(self) -> bool:
        return self.goals.get("pairs", 0) >= MIN_GROUP


def compute_stats(
    *, session: Session, team_id: str, cohort_id: int | None, now: datetime, cohort_name: str = ""
) -> ProgramStats:
    """Every figure of ``/mentor stats`` for a cohort (or the workspace), each one SQL aggregate."""
    scope = {"session": session, "team_id": team_id, "cohort_id": cohort_id}
    result = ProgramStats(team_id=team_id, cohort_id=cohort_id, cohort_name=cohort_name, now=now)
    result.roles = stats.participants_by_role(**scope)
    result.capacity = stats.mentor_capacity(**scope)
    result.mentees = stats.mentee_matching(**scope)
    result.pairs = stats.pairs_by_status(**scope)
    result.closures = stats.closure_outcomes(**scope)
    result.met_pairs, result.median_days_to_first_meeting = stats.days_to_first_meeting(**scope)
    result.meetings = stats.meeting_rate(**scope, now=now)
    result.checkin_outcomes = stats.checkin_outcomes(**scope)
    result.bookings = stats.booked_meetings(**scope)
    result.goals = stats.goals(**scope)
    result.surveys = stats.surveys_by_person(**scope)
    result.departures = stats.departures(**scope)
    result.sources = stats.pairs_by_source(**scope)
    result.flags = stats.flag_counts(**scope)
    result.waiting = stats.waiting(**scope)
    return result


def compute_with_previous(
    *, session: Session, team_id: str, cohort_id: int | None, now: datetime
) -> tuple[ProgramStats, ProgramStats | None]:
    """A cohort's figures and those of the cohort before it (for the trend)."""
    name = "All cohorts"
    previous = None
    if cohort_id is not None:
        cohort = coordination.get_cohort(session=session, team_id=team_id, cohort_id=cohort_id)
        name = cohort.name if cohort else name
        before = coordination.previous_cohort(session=session, team_id=team_id, cohort_id=cohort_id)
        if before is not None and before.id is not None:
            previous = compute_stats(
                session=session, team_id=team_id, cohort_id=before.id, now=now, cohort_name=before.name
            )
    current = compute_stats(session=session, team_id=team_id, cohort_id=cohort_id, now=now, cohort_name=name)
    return current, previous


@dataclass(frozen=True)
class ChartSeries:
    """Weekly series for the chart."""

    weeks: list[datetime]
    meetings: list[int]
    open_pairs: list[int]
    closed_pairs: list[int]


def chart_series(*, session: Session, team_id: str, cohort_id: int | None, now: datetime) -> ChartSeries:
    """Meetings per week and open / closed pairs at each week's end, over at most two years."""
    first = stats.first_activity(session=session, team_id=team_id, cohort_id=cohort_id)
    origin = max(first or now, now - timedelta(weeks=CHART_WEEKS))
    origin = origin.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=origin.weekday())
    count = max(1, int((now - origin).days // 7) + 1)
    per_week = stats.meetings_per_week(session=session, team_id=team_id, cohort_id=cohort_id, origin=origin, now=now)
    before, opened, closed = stats.pair_flow_per_week(
        session=session, team_id=team_id, cohort_id=cohort_id, origin=origin
    )
    weeks, meetings, open_pairs, closed_pairs = [], [], [], []
    running_open, running_closed = before, 0
    for week in range(count):  # one step per week (at most 105), not per row
        running_open += opened.get(week, 0) - closed.get(week, 0)
        running_closed += closed.get(week, 0)
        weeks.append(origin + timedelta(weeks=week))
        meetings.append(per_week.get(week, 0))
        open_pairs.append(max(0, running_open))
        closed_pairs.append(running_closed)
    return ChartSeries(weeks=weeks, meetings=meetings, open_pairs=open_pairs, closed_pairs=closed_pairs)


def render_chart(series: ChartSeries, figures: ProgramStats, *, hide_small: bool = False) -> bytes:
    """The PNG for ``/mentor stats``. Weekly totals below 5 still show as bars: they count meetings, not people;
    where people who are not coordinators read it, the at-risk marker is hidden for fewer than 5 pairs."""
    at_risk = figures.pairs.get(PairStatus.AT_RISK, 0)
    return charts.program_chart(
        weeks=[w.date() for w in series.weeks],
        meetings=series.meetings,
        open_pairs=series.open_pairs,
        closed_pairs=series.closed_pairs,
        at_risk_now=at_risk if visible(at_risk) or not hide_small else None,
        title=f"{figures.cohort_name}: meetings and pair health",
    )


def post_stats(
    *,
    session: Session,
    client: WebClient,
    team_id: str,
    channel_id: str,
    cohort_id: int | None,
    now: datetime,
    hide_small: bool = False,
) -> dict[str, Any]:
    """Compute the figures, post them to ``channel_id`` and upload the chart there (``hide_small`` where people
    who are not coordinators read them).

    Returns:
        The posted message payload (``text`` and ``blocks``).
    """
    from bot.views.coordinator import stats_message

    current, previous = compute_with_previous(session=session, team_id=team_id, cohort_id=cohort_id, now=now)
    message = stats_message(current, previous, hide_small=hide_small)
    client.chat_postMessage(channel=channel_id, **message)
    series = chart_series(session=session, team_id=team_id, cohort_id=cohort_id, now=now)
    png = render_chart(series, current, hide_small=hide_small)
    client.files_upload_v2(
        channel=channel_id,
        content=png,
        filename=f"mentorship-stats-{now:%Y-%m-%d}.png",
        title=f"{current.cohort_name}: meetings per week and pair health",
        request_file_info=False,
    )
    log.info("stats posted team=%s channel=%s cohort=%s", team_id, channel_id, cohort_id)
    return message
