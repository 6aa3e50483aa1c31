"""Knowledge sharing: the resource library, suggestions for a pair, and feedback on work.

Pure parts (URL checks and normalisation, argument parsing, tag inference, form validation) take
and return plain data; services take a session and ``now``. Nothing here touches Slack payloads.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from sqlmodel import Session

from bot import ids, people
from bot.profiles import Profile
from bot.taxonomy import Taxonomy
from storage import knowledge as store
from storage.models import FeedbackRequest, Pair, Resource
from storage.types import utcnow
from storage.vocab import ShareKind

MAX_URL = 2000
MAX_TITLE = 200
MAX_NOTE = 500
MAX_QUESTION = 1000
MAX_REPLY = 3000
MAX_TAGS = 10
DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_CHARS = set(string.ascii_lowercase + string.digits + "-.")
_SLACK_LINK = re.compile(r"^<([^<>|]+)(?:\|[^<>]*)?>$")


class UrlError(ValueError):
    """A URL we refuse; the message is shown to the person as is."""


# ------------------------------------------------------------------ pure: URLs


def unwrap_slack_link(text: str) -> str:
    """Slack escapes links in slash commands as ``<https://x|label>``: return the bare URL."""
    text = text.strip()
    match = _SLACK_LINK.match(text)
    return match.group(1) if match else text


def normalise_url(raw: str) -> str:
    """Check a URL and return its normalised form (the key duplicates are merged on).

    Rules: http/https only; at most ``MAX_URL`` characters; no whitespace or control characters; no
    credentials (``user:pass@``); a host made of letters, digits, dots and hyphens (or an IP).
    Normalising lower-cases the scheme and host, drops a default port, a trailing slash, ``utm_*`` parameters
    and an anchor into the page (``#section``), and sorts the remaining query parameters. Two things that tell
    addresses apart are kept: a fragment that routes a single-page app (``#/docs/setup``, ``#!/inbox``), and an
    encoded reserved character (``%2F`` is not ``/``); only escapes of unreserved characters are decoded
    (RFC 3986, 6.2.2).

    Raises:
        UrlError: With a message fit to show the person.
    """
    url = unwrap_slack_link(raw or "")
    if not url:
        raise UrlError("Please give a link starting with https:// or http://.")
    if len(url) > MAX_URL:
        raise UrlError(f"That link is too long (at most {MAX_URL:,} characters).")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise UrlError("A link can't contain spaces or line breaks.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlError("That doesn't look like a valid link.") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UrlError("Only http:// and https:// links can be shared.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UrlError("Links with a user name or password in them can't be shared.")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or not set(host) <= _HOST_CHARS or ".." in host or host.startswith(("-", ".")):
        raise UrlError("That link has no valid host name (e.g. https://example.com/page).")
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _normalise_escapes(parts.path, safe="/:@!$&'()*+,;=").rstrip("/")
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith("utm_")
    )
    fragment = parts.fragment if parts.fragment.startswith(("/", "!")) else ""  # an app's route, not an anchor
    path = path or ("/" if fragment else "")
    return urlunsplit((scheme, netloc, path, urlencode(query), _normalise_escapes(fragment, safe="/?:@!$&'()*+,;=")))


_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _normalise_escapes(text: str, *, safe: str) -> str:
    """Decode escapes of unreserved characters only, upper-case the others' hex, escape what must be."""

    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return quote(_ESCAPE.sub(one, text), safe=safe + "%-._~")


def check_url(raw: str) -> tuple[str | None, str | None]:
    """``(normalised, None)`` for a good URL, ``(None, message)`` otherwise."""
    try:
        return normalise_url(raw), None
    except UrlError as exc:
        return None, str(exc)


def url_hash(url: str) -> str:
    """The storage key of a normalised URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def title_from_url(url: str) -> str:
    """A readable title when the sharer gave none: host plus the last path segment."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) if parts.path.strip("/") else ""
    last = re.sub(r"\.(html?|php|aspx?)$", "", last)
    words = " ".join(re.split(r"[-_+]+", last)).strip()
    return (f"{host}: {words}" if words else host)[:MAX_TITLE]


def infer_tags(text: str, taxonomy: Taxonomy) -> list[str]:
    """Taxonomy skills mentioned in a note, title or URL slug (``system-design`` counts)."""
    flat = " " + " ".join(re.split(r"[^a-z0-9]+", text.lower())) + " "
    found = [skill for skill in taxonomy.skills if f" {' '.join(re.split(r'[^a-z0-9]+', skill))} " in flat]
    return found[:MAX_TAGS]


def parse_share_args(args: str) -> tuple[str, str]:
    """``/mentor share <url> [note]`` -> (url, note)."""
    url, _, note = args.strip().partition(" ")
    return unwrap_slack_link(url), note.strip()


def goal_skills(profile: Profile | None, taxonomy: Taxonomy) -> dict[str, float]:
    """What a mentee is working on, as skill -> weight (skills wanted 1.0, skills behind a career goal 0.5)."""
    if profile is None:
        return {}
    weights: dict[str, float] = {}
    for goal in profile.career_goals:
        for skill in taxonomy.career_goals.get(goal, ()):
            weights[skill] = max(weights.get(skill, 0.0), 0.5)
    for skill in profile.skills_wanted:
        weights[skill] = 1.0
    return weights


# ------------------------------------------------------------------ pure: the share form


@dataclass
class ShareForm:
    """The "Share a resource" modal's answers."""

    url: str = ""
    title: str = ""
    note: str = ""
    tags: list[str] = field(default_factory=list)
    goal: str = ""


def _state(values: Mapping[str, Any], block_id: str) -> dict[str, Any]:
    return dict((values.get(block_id) or {}).get(ids.INPUT) or {})


def parse_share_form(values: Mapping[str, Any]) -> ShareForm:
    """Read the modal's ``state.values``."""
    goal = (_state(values, ids.SHARE_GOAL).get("selected_option") or {}).get("value") or ""
    tags = [str(o.get("value", "")) for o in _state(values, ids.SHARE_TAGS).get("selected_options") or []]
    return ShareForm(
        url=str(_state(values, ids.SHARE_URL).get("value") or "").strip(),
        title=str(_state(values, ids.SHARE_TITLE).get("value") or "").strip(),
        note=str(_state(values, ids.SHARE_NOTE).get("value") or "").strip(),
        tags=[t for t in tags if t],
        goal=str(goal),
    )


def validate_share_form(form: ShareForm, taxonomy: Taxonomy, *, goals: Iterable[str] = ()) -> dict[str, str]:
    """Inline errors keyed by block_id; empty when the form can be saved."""
    errors: dict[str, str] = {}
    _, problem = check_url(form.url)
    if problem:
        errors[ids.SHARE_URL] = problem
    if len(form.title) > MAX_TITLE:
        errors[ids.SHARE_TITLE] = f"Keep the title to {MAX_TITLE} characters or fewer."
    if len(form.note) > MAX_NOTE:
        errors[ids.SHARE_NOTE] = f"Keep the note to {MAX_NOTE} characters or fewer (it has {len(form.note):,})."
    known = set(taxonomy.skills)
    if any(t not in known for t in form.tags) or len(form.tags) > MAX_TAGS:
        errors[ids.SHARE_TAGS] = f"Pick up to {MAX_TAGS} skills from the list."
    allowed_goals = set(goals)
    if form.goal and form.goal not in allowed_goals:
        errors[ids.SHARE_GOAL] = "Pick one of the pair's goals."
    return errors


# ------------------------------------------------------------------ services: pairs


def pair_for(*, session: Session, team_id: str, user_id: str, channel_id: str = "") -> Pair | None:
    """The pair a person acts for: the pair DM they typed in, else their only open pair."""
    pair = store.pair_by_channel(session=session, team_id=team_id, channel_id=channel_id)
    if pair is not None and user_id in (pair.mentee_user_id, pair.mentor_user_id):
        return pair
    pairs = store.open_pairs_of(session=session, team_id=team_id, user_id=user_id)
    return pairs[0] if len(pairs) == 1 else None


def mentee_profile(*, session: Session, pair: Pair) -> Profile | None:
    """The domain profile of a pair's mentee."""
    saved = people.load_profile(session=session, team_id=pair.team_id, user_id=pair.mentee_user_id)
    return saved[1] if saved else None


def pair_goals(*, session: Session, pair: Pair) -> list[str]:
    """The goals a resource can be shared for: the mentee's career goals and skills wanted."""
    profile = mentee_profile(session=session, pair=pair)
    if profile is None:
        return []
    return list(dict.fromkeys([*profile.career_goals, *profile.skills_wanted]))


# ------------------------------------------------------------------ services: the library


@dataclass(frozen=True)
class ResourceItem:
    """A library entry as the views show it."""

    id: int
    url: str
    title: str
    tags: tuple[str, ...]
    recommend_count: int
    shared_by: str

    @classmethod
    def of(cls, row: Resource) -> ResourceItem:
        assert row.id is not None
        return cls(row.id, row.url, row.title, tuple(row.tags or ()), row.recommend_count, row.shared_by)


@dataclass(frozen=True)
class ShareResult:
    """What sharing did: the resource, whether it is new to the library, whether this share counted."""

    resource: ResourceItem
    created: bool
    counted: bool


def share_resource(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    url: str,
    taxonomy: Taxonomy,
    now: datetime,
    title: str = "",
    note: str = "",
    tags: Iterable[str] = (),
    goal: str = "",
    pair: Pair | None = None,
) -> ShareResult:
    """Save a share to the library, merged with any earlier share of the same normalised URL.

    Tags default to the taxonomy skills mentioned in the note, title or URL, else the pair's goals.

    Raises:
        UrlError: The URL is refused.
        ValueError: The note or title is too long.
    """
    normalised = normalise_url(url)
    if len(note) > MAX_NOTE:
        raise ValueError(f"Keep the note to {MAX_NOTE} characters or fewer (it has {len(note):,}).")
    if len(title) > MAX_TITLE:
        raise ValueError(f"Keep the title to {MAX_TITLE} characters or fewer.")
    chosen = [t for t in dict.fromkeys(tags) if t in set(taxonomy.skills)]
    if not chosen:
        chosen = infer_tags(f"{title} {note} {urlsplit(normalised).path}", taxonomy)
    if not chosen and pair is not None:
        profile = mentee_profile(session=session, pair=pair)
        wanted = goal_skills(profile, taxonomy)
        chosen = [s for s, w in sorted(wanted.items(), key=lambda kv: -kv[1]) if w >= 1.0][:3]
    if not goal and pair is not None:
        goal = next(iter(chosen), "")
    resource, created, counted = store.add_share(
        session=session,
        team_id=team_id,
        url=normalised,
        url_hash=url_hash(normalised),
        title=title or title_from_url(normalised),
        tags=chosen[:MAX_TAGS],
        user_id=user_id,
        pair_id=pair.id or 0 if pair is not None else 0,
        goal=goal[:100],
        note=note,
        now=now,
    )
    if pair is not None and pair.id is not None:
        store.mark_seen(
            session=session, team_id=team_id, pair_id=pair.id, resource_ids=[resource.id], how="shared", now=now
        )  # type: ignore[list-item]
        session.commit()
    return ShareResult(ResourceItem.of(resource), created, counted)


def upvote_resource(*, session: Session, team_id: str, user_id: str, resource_id: int, now: datetime) -> bool:
    """Recommend a resource once per person; True when this upvote counted."""
    resource = store.get_resource(session=session, team_id=team_id, resource_id=resource_id)
    if resource is None:
        return False
    _, _, counted = store.add_share(
        session=session,
        team_id=team_id,
        url=resource.url,
        url_hash=resource.url_hash,
        title=resource.title,
        tags=(),
        user_id=user_id,
        kind=ShareKind.UPVOTE,
        now=now,
    )
    return counted


def list_library(*, session: Session, team_id: str, skill: str = "", limit: int = 10) -> list[ResourceItem]:
    """The library filtered by a skill (substring of a tag, case-insensitive), most recommended first."""
    wanted = " ".join(skill.lower().split())
    rows = store.list_resources(session=session, team_id=team_id)
    if wanted:
        rows = [r for r in rows if any(wanted == t or wanted in t for t in r.tags or ())]
    return [ResourceItem.of(r) for r in rows[:limit]]


def remove_resource(
    *, session: Session, team_id: str, resource_id: int, user_id: str, is_coordinator: bool
) -> tuple[str, ResourceItem | None]:
    """Remove a resource if the person shared it first or is a coordinator.

    Returns:
        ``("removed" | "forbidden" | "missing", item)``.
    """
    resource = store.get_resource(session=session, team_id=team_id, resource_id=resource_id)
    if resource is None:
        return "missing", None
    item = ResourceItem.of(resource)
    if resource.shared_by != user_id and not is_coordinator:
        return "forbidden", item
    store.delete_resource(session=session, resource_id=item.id)
    return "removed", item


def suggest_resources(
    *,
    session: Session,
    team_id: str,
    pair_id: int,
    limit: int = 3,
    taxonomy: Taxonomy | None = None,
    now: datetime | None = None,
    record: bool = True,
) -> list[ResourceItem]:
    """Up to ``limit`` library resources for a pair: matching the mentee's goals, not yet seen by the pair.

    "Seen" means shared in the pair, suggested to it before, or shared/upvoted by either person. The
    suggestions returned are recorded as seen (``record=False`` to preview without recording).
    Order: overlap with the mentee's goals (skills wanted weigh more than skills behind a career goal),
    then recommendation count, then newest.
    """
    from bot.taxonomy import default_taxonomy

    pair = store.get_pair(session=session, team_id=team_id, pair_id=pair_id)
    if pair is None or limit <= 0:
        return []
    weights = goal_skills(mentee_profile(session=session, pair=pair), taxonomy or default_taxonomy())
    if not weights:
        return []
    excluded = store.seen_resource_ids(session=session, pair_id=pair_id) | store.shared_by_any(
        session=session, team_id=team_id, user_ids=(pair.mentee_user_id, pair.mentor_user_id)
    )
    scored = []
    for row in store.list_resources(session=session, team_id=team_id):
        if row.id in excluded:
            continue
        overlap = sum(weights.get(t, 0.0) for t in row.tags or ())
        if overlap > 0:
            scored.append((overlap, row.recommend_count, row.id or 0, row))
    scored.sort(key=lambda s: (-s[0], -s[1], -s[2]))
    chosen = [ResourceItem.of(s[3]) for s in scored[:limit]]
    if record and chosen:
        store.mark_seen(
            session=session,
            team_id=team_id,
            pair_id=pair_id,
            resource_ids=[c.id for c in chosen],
            how="suggested",
            now=now or utcnow(),
        )
        session.commit()
    return chosen


def resource_suggestion_blocks(resources: list[ResourceItem]) -> list[dict[str, Any]]:
    """Block Kit for suggested resources (re-exported from :mod:`bot.views.knowledge`)."""
    from bot.views.knowledge import resource_suggestion_blocks as build

    return build(resources)


# ------------------------------------------------------------------ services: feedback on work


class FeedbackError(ValueError):
    """A feedback request or reply we refuse; the message is shown to the person."""


def parse_feedback_args(args: str) -> tuple[str, str]:
    """``/mentor feedback-request <link> <question>`` -> (link, question)."""
    link, _, question = args.strip().partition(" ")
    return unwrap_slack_link(link), question.strip()


def request_feedback(
    *, session: Session, team_id: str, user_id: str, channel_id: str, link: str, question: str, now: datetime
) -> FeedbackRequest:
    """Store a mentee's feedback request for their pair.

    Raises:
        FeedbackError: Not a mentee in a pair, a bad link, or a missing / over-long question.
    """
    pair = pair_for(session=session, team_id=team_id, user_id=user_id, channel_id=channel_id)
    if pair is None or pair.id is None:
        raise FeedbackError(
            "Feedback requests go to your mentor, and I can't find your pair. Try it in your pair's group DM."
        )
    if pair.mentee_user_id != user_id:
        raise FeedbackError("Only the mentee of a pair can ask for feedback on their work.")
    normalised = normalise_url(link) if link else ""
    if not normalised:
        raise FeedbackError("Usage: `/mentor feedback-request <link> <question>`.")
    if not question:
        raise FeedbackError(
            "Add your question after the link, e.g. `/mentor feedback-request <link> Is the intro clear?`"
        )
    if len(question) > MAX_QUESTION:
        raise FeedbackError(f"Keep the question to {MAX_QUESTION:,} characters or fewer (it has {len(question):,}).")
    return store.create_feedback_request(
        session=session,
        team_id=team_id,
        pair_id=pair.id,
        mentee_user_id=user_id,
        mentor_user_id=pair.mentor_user_id,
        link=normalised,
        question=question,
        now=now,
    )


def validate_reply(text: str) -> str | None:
    """An inline error for a feedback reply, or None."""
    if not text.strip():
        return "Write a few words of feedback."
    if len(text) > MAX_REPLY:
        return f"Keep the reply to {MAX_REPLY:,} characters or fewer (it has {len(text):,})."
    return None


def feedback_count(session: Session, pair_id: int, *, answered_only: bool = False) -> int:
    """How many feedback exchanges a pair had (requests; ``answered_only`` counts replied ones)."""
    return store.count_feedback(session=session, pair_id=pair_id, answered_only=answered_only)
