"""The participant profile as the domain sees it: plain data, no Slack, no storage.

Signup forms are parsed into a :class:`Profile`; matching scores pairs of profiles; storage
persists them. Everything here is a frozen dataclass or a small enum so it can be hashed,
compared in tests and passed between threads freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.vocab import ParticipantStatus, Role

# A participant's role and status are stored values: they live in the registry (``Status`` is the stored
# participant status under its short domain name).
Status = ParticipantStatus


# Seniority levels, ordered: the index is what scoring compares.
SENIORITY_LEVELS: tuple[str, ...] = (
    "intern",
    "junior",
    "mid",
    "senior",
    "staff",
    "principal",
    "manager",
    "director",
    "executive",
)
SENIORITY_RANK: dict[str, int] = {
    "intern": 0,
    "junior": 1,
    "mid": 2,
    "senior": 3,
    "staff": 4,
    "manager": 4,
    "principal": 5,
    "director": 5,
    "executive": 6,
}

MEETING_FORMATS: tuple[str, ...] = ("video", "in_person", "chat", "any")
COMMUNICATION_STYLES: tuple[str, ...] = ("direct", "supportive", "structured", "exploratory")
PERSONALITIES: tuple[str, ...] = ("introvert", "ambivert", "extrovert")
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Named time windows offered in the signup form, in the person's local time (minutes from midnight).
TIME_WINDOWS: dict[str, tuple[int, int]] = {
    "early": (7 * 60, 9 * 60),
    "morning": (9 * 60, 12 * 60),
    "midday": (12 * 60, 14 * 60),
    "afternoon": (14 * 60, 17 * 60),
    "evening": (17 * 60, 19 * 60),
}


@dataclass(frozen=True, order=True)
class Window:
    """A weekly availability window in the person's own timezone.

    Attributes:
        day: 0 = Monday ... 6 = Sunday.
        start: minutes after local midnight.
        end: minutes after local midnight (exclusive, greater than start).
    """

    day: int
    start: int
    end: int


def windows_from_choices(days: list[str] | tuple[str, ...], slots: list[str] | tuple[str, ...]) -> tuple[Window, ...]:
    """Expand the form's preferred days x named time windows into concrete weekly windows."""
    result = [
        Window(WEEKDAYS.index(day), *TIME_WINDOWS[slot])
        for day in days
        if day in WEEKDAYS
        for slot in slots
        if slot in TIME_WINDOWS
    ]
    return tuple(sorted(set(result)))


@dataclass(frozen=True)
class Profile:
    """What matching needs to know about one person.

    Tags (skills, interests, goals, languages) are lower-case normalised strings.
    """

    user_id: str
    role: Role = Role.MENTEE
    name: str = ""
    skills_offered: tuple[str, ...] = ()
    skills_wanted: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    career_goals: tuple[str, ...] = ()
    department: str = ""
    industry: str = ""
    seniority: str = "mid"
    communication_style: str = ""
    personality: str = ""
    timezone: str = "UTC"
    days: tuple[str, ...] = ("tue", "wed", "thu")
    time_slots: tuple[str, ...] = ("afternoon",)
    meeting_format: str = "any"
    capacity: int = 1
    languages: tuple[str, ...] = ("english",)
    status: Status = Status.ACTIVE
    manager_id: str | None = None
    email: str | None = None
    do_not_pair: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_mentor(self) -> bool:
        return self.role in (Role.MENTOR, Role.BOTH)

    @property
    def is_mentee(self) -> bool:
        return self.role in (Role.MENTEE, Role.BOTH)

    @property
    def seniority_rank(self) -> int:
        return SENIORITY_RANK.get(self.seniority, 2)

    @property
    def availability(self) -> tuple[Window, ...]:
        return windows_from_choices(self.days, self.time_slots)


def normalise_tag(text: str) -> str:
    """Lower-case, trim and collapse whitespace so 'Data  Platforms ' == 'data platforms'."""
    return " ".join(text.strip().lower().split())


def split_free_text(text: str | None) -> tuple[str, ...]:
    """Split a comma/semicolon/newline separated free-text answer into normalised tags."""
    if not text:
        return ()
    raw = text.replace(";", ",").replace("\n", ",").split(",")
    seen: dict[str, None] = {}
    for item in raw:
        tag = normalise_tag(item)
        if tag:
            seen[tag] = None
    return tuple(seen)
