"""Networking: warm introductions, "people to meet", opt-outs and the alumni pool.

``plan_people_to_meet`` is pure and vectorised: the people's wanted and offered skills become sparse matrices;
one sparse product per chunk of mentees scores every candidate; each mentee's best candidates are found from
block maxima; a greedy pass over them assigns suggestions under a per-person cap, so the same few people are not
suggested to everyone.
"""

from __future__ import annotations

import functools
import gc
import logging
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import numpy as np
import scipy.sparse as sp
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import people
from bot.cohorts import signup_cohort
from bot.knowledge import goal_skills, pair_for
from bot.privacy import is_pseudonym, pseudonym_of_key
from bot.profiles import Profile, Role, Status
from bot.taxonomy import Taxonomy, default_taxonomy
from storage import knowledge as store
from storage import participants
from storage.models import Introduction
from storage.vocab import IntroSource, IntroStatus, PromptKind

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

MAX_PENDING_INTROS = 3
INTRO_TTL = timedelta(days=7)
REASK_AFTER = timedelta(days=90)  # an ask that led to no introduction blocks the same ask this long
MAX_ASKS_RECEIVED = 3  # nobody is asked more often than this per ASK_WINDOW
ASK_WINDOW = timedelta(days=30)
MAX_REASON = 500
PER_MENTEE = 3
DEFAULT_SHARE = 0.01  # nobody is suggested to more than 1% of mentees (never fewer than MIN_CAP)
MIN_CAP = 3
_BLOCK = 16  # columns per block when finding each mentee's best candidates
OUTSIDE_DEPARTMENT_BONUS = 0.15
SHARED_MENTOR_BONUS = 0.1
REPEAT_PENALTY = 10.0  # someone already suggested ranks below every fresh candidate (fresh scores are 0..~2)
UNFIT = -100.0  # excluded, or covers none of the mentee's goal skills
ALUMNI_GREW_WEIGHT = 0.6  # an alumnus can speak to what they grew in, a little less than to what they offer
INTRO_EXPIRY_KIND = PromptKind.INTRO_EXPIRY
PEOPLE_REFRESH_KIND = PromptKind.PEOPLE_REFRESH
PEOPLE_TO_MEET_KIND = PromptKind.PEOPLE_TO_MEET
NUDGE_EVERY = timedelta(days=30)
REFRESH_AFTER = timedelta(hours=1)
ROTATE_AFTER = timedelta(days=14)  # a nudge about to repeat last month's people recomputes, at most this often
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_BARE_ID = re.compile(r"^@?([UW][A-Z0-9]{2,})$")


def not_available_text(target_id: str) -> str:
    """What a requester hears when an introduction does not happen, whatever the reason (decline, expiry, or the
    person left), always when the answer window closes."""
    who = "The person you asked" if is_pseudonym(target_id) else f"<@{target_id}>"
    return (
        f":hourglass: {who} is not available right now for an introduction. "
        "No action needed from you; you could try again later or ask someone else."
    )


def not_taking_text(target_id: str) -> str:
    """The answer when the person is not to be asked at all (their own choice or list; never which)."""
    return f"<@{target_id}> isn't taking introduction requests right now. You could ask someone else."


# ------------------------------------------------------------------ pure: people to meet


@dataclass(frozen=True)
class PersonSuggestion:
    """Someone a mentee could meet, and why."""

    user_id: str
    score: float
    shared_skills: tuple[str, ...]
    reason: str

    def as_row(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "score": self.score,
            "shared_skills": list(self.shared_skills),
            "reason": self.reason,
        }


@dataclass
class _Person:
    """One person's side of the people-to-meet problem (what the planner needs, read once from the profile)."""

    want: dict[str, float]  # goal skill -> weight (mentees only)
    offer: dict[str, float]  # skill -> what they can speak to (offered 1.0, an alumnus's grown skills 0.6)
    department: str
    manager_id: str
    alumni: bool


def _person(
    p: Profile, *, is_alumnus: bool, taxonomy: Taxonomy, goals: dict[tuple[str, ...], dict[str, float]]
) -> _Person:
    want: dict[str, float] = {}
    if p.is_mentee:  # ``goal_skills``, its career-goal part computed once per set of goals
        if (behind := goals.get(p.career_goals)) is None:
            behind = goals[p.career_goals] = goal_skills(Profile(user_id="", career_goals=p.career_goals), taxonomy)
        want = {**behind, **dict.fromkeys(p.skills_wanted, 1.0)}
    offer = dict.fromkeys(p.skills_offered, 1.0)
    if is_alumnus:
        for skill in p.skills_wanted:
            offer[skill] = max(offer.get(skill, 0.0), ALUMNI_GREW_WEIGHT)
    return _Person(want, offer, p.department, p.manager_id or "", is_alumnus)


def _weights(rows: Sequence[Mapping[str, float]], skill_index: Mapping[str, int]) -> sp.csr_matrix:
    """Sparse rows x skills matrix (canonical CSR: sorted, so products sum in skill order)."""
    r = np.repeat(np.arange(len(rows)), [len(row) for row in rows])
    c = [skill_index[s] for row in rows for s in row]
    v = np.fromiter((w for row in rows for w in row.values()), dtype=np.float32, count=len(c))
    return sp.csr_matrix((v, (r, np.asarray(c, dtype=np.int64))), shape=(len(rows), len(skill_index)))


def _pair_keys(pairs: Iterable[tuple[int, int]], width: int) -> np.ndarray:
    """(row, column) pairs as sorted unique int64 keys ``row * width + column``, for vectorised membership."""
    keys = np.fromiter((i * width + j for i, j in pairs), dtype=np.int64)
    return np.unique(keys)


def _member(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Which of ``keys`` are in ``sorted_keys`` (sorted, unique)."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    pos = np.searchsorted(sorted_keys, keys)
    return sorted_keys[np.minimum(pos, len(sorted_keys) - 1)] == keys


def _shift(
    scores: np.ndarray,
    keys: np.ndarray,
    start: int,
    stop: int,
    width: int,
    *,
    value: float | None = None,
    add: float = 0.0,
) -> None:
    """Set (``value``) or shift (``add``) the cells of the dense chunk of mentees ``start:stop`` that ``keys`` name."""
    lo, hi = np.searchsorted(keys, [start * width, stop * width])
    rows, cols = np.divmod(keys[lo:hi], width)
    if value is not None:
        scores[rows - start, cols] = value
    else:
        scores[rows - start, cols] += add  # each cell once (keys are unique)


def _gc_paused(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with the cyclic garbage collector paused: planning allocates some 100,000 small objects that form
    no cycles, and full collections triggered by them would scan the whole process each time."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return run


@_gc_paused
def plan_people_to_meet(
    people_list: Sequence[Profile],
    *,
    pairings: Iterable[tuple[str, str]] = (),
    alumni: Collection[str] = (),
    opted_out: Collection[str] = (),
    seen: Mapping[str, Collection[str]] | None = None,
    introduced: Iterable[tuple[str, str]] = (),
    taxonomy: Taxonomy | None = None,
    per_mentee: int = PER_MENTEE,
    share: float = DEFAULT_SHARE,
    min_cap: int = MIN_CAP,
    shortlist: int = 60,
    chunk: int = 256,
    seed: int = 0,
) -> dict[str, list[PersonSuggestion]]:
    """Suggest up to ``per_mentee`` people to every active mentee.

    Candidates are active mentors and alumni who did not opt out. Never suggested: the mentee themself,
    anyone they were ever paired with (their mentor), their manager, their direct reports, anyone they were
    already introduced to (``introduced``: (person, person) pairs). A candidate's score is the weighted share of
    the mentee's goal skills they cover, plus a bonus outside the mentee's department and for a shared past
    mentor; only candidates covering at least one goal skill qualify. Someone already suggested to the mentee
    (``seen``: mentee -> people suggested earlier in the cohort) comes after every fresh candidate who fits,
    so suggestions rotate month to month and repeat only once nobody new fits. Load is spread: nobody is
    suggested to more than ``max(min_cap, ceil(share * mentees))`` mentees (greedy by score over each
    mentee's ``shortlist`` best candidates, with a tiny jitter seeded by ``seed`` (the month, say) so equal
    scores do not all go to the same person).

    Only the (mentee, candidate) cells sharing a skill are scored: one sparse product per chunk of mentees,
    every bonus and exclusion applied to those cells as flat arrays.

    Returns:
        Mentee id -> suggestions in rank order (mentees with no match have an empty list).
    """
    taxonomy = taxonomy or default_taxonomy()
    alumni_set, opted = set(alumni), set(opted_out)
    goals: dict[tuple[str, ...], dict[str, float]] = {}
    info = {
        p.user_id: _person(p, is_alumnus=p.user_id in alumni_set, taxonomy=taxonomy, goals=goals) for p in people_list
    }
    mentees = [p.user_id for p in people_list if p.status == Status.ACTIVE and p.is_mentee]
    candidates = [
        p.user_id
        for p in people_list
        if p.status == Status.ACTIVE and (p.is_mentor or p.user_id in alumni_set) and p.user_id not in opted
    ]
    result: dict[str, list[PersonSuggestion]] = {m: [] for m in mentees}
    if not mentees or not candidates or per_mentee <= 0:
        return result
    skills = sorted({s for person in info.values() for s in (*person.want, *person.offer)})
    if not skills:
        return result
    skill_index = {s: k for k, s in enumerate(skills)}
    want = _weights([info[m].want for m in mentees], skill_index)
    offer = _weights([info[c].offer for c in candidates], skill_index)
    totals = np.asarray(want.sum(axis=1)).ravel()
    want = sp.diags(np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)) @ want
    offer_t = offer.T.tocsc()

    width = len(candidates)
    mentee_index = {m: i for i, m in enumerate(mentees)}
    cand_index = {c: j for j, c in enumerate(candidates)}
    departments = {d: k for k, d in enumerate(sorted({str(info[u].department) for u in mentees + candidates}))}
    mentee_dept = np.array([departments[str(info[m].department)] for m in mentees])
    cand_dept = np.array([departments[str(info[c].department)] for c in candidates])
    cand_alumni = np.array([info[c].alumni for c in candidates])

    # Past and current pairings, each once, between people of the list (as the person graph had them).
    partners: dict[str, set[str]] = {}
    for a, b in pairings:
        if a in info and b in info:
            partners.setdefault(a, set()).add(b)
            partners.setdefault(b, set()).add(a)
    # Hard exclusions (self, anyone paired with, manager, direct reports, already introduced).
    reports: dict[str, list[str]] = {}
    for user, person in info.items():
        if person.manager_id:
            reports.setdefault(person.manager_id, []).append(user)
    met: dict[str, set[str]] = {}
    for a, b in introduced:
        met.setdefault(a, set()).add(b)
    excluded = _pair_keys(
        (
            (i, j)
            for m, i in mentee_index.items()
            for b in {m, info[m].manager_id, *reports.get(m, ()), *met.get(m, ()), *partners.get(m, ())}
            if (j := cand_index.get(b)) is not None
        ),
        width,
    )
    # Already suggested in this cohort: ranked after every fresh candidate who fits.
    repeated = _pair_keys(
        (
            (i, j)
            for m, earlier in (seen or {}).items()
            if (i := mentee_index.get(m)) is not None
            for person in earlier
            if (j := cand_index.get(person)) is not None
        ),
        width,
    )
    # A shared past mentor (or mentee): mentee -> paired person -> candidate.
    person_index = {u: k for k, u in enumerate(info)}
    edges = [(person_index[a], person_index[b]) for a, others in partners.items() for b in others]
    pr = np.array([a for a, _ in edges], dtype=np.int64)
    pc = np.array([b for _, b in edges], dtype=np.int64)
    paired = sp.csr_matrix((np.ones(len(pr), dtype=np.float32), (pr, pc)), shape=(len(info),) * 2)
    shared_coo = (paired[[person_index[m] for m in mentees]] @ paired[[person_index[c] for c in candidates]].T).tocoo()
    hit = shared_coo.data > 0
    shared_mentor = np.unique(shared_coo.row[hit].astype(np.int64) * width + shared_coo.col[hit])

    rng = np.random.default_rng(seed)
    k = min(shortlist, width)
    k_short = min(k, max(2 * per_mentee, 8))
    alumni_cols = np.flatnonzero(cand_alumni)
    blocks = -(-width // _BLOCK)
    padded = blocks * _BLOCK  # whole blocks; the padding columns stay UNFIT
    dept_bonus = np.zeros((len(departments), padded))
    dept_bonus[:, :width] = OUTSIDE_DEPARTMENT_BONUS * (np.arange(len(departments))[:, None] != cand_dept[None, :])
    rows_in_chunk = min(chunk, len(mentees))
    scores_buffer = np.empty(rows_in_chunk * padded, dtype=np.float32)  # reused: no page faults per chunk
    jitter_buffer = np.empty((rows_in_chunk, width), dtype=np.float32)
    kept: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for start in range(0, len(mentees), chunk):
        stop = min(start + chunk, len(mentees))
        size = stop - start
        # Every cell gets the same operations in the same order and precision as ever (scores agree to the last
        # bit); cells covering none of the mentee's goal skills start at UNFIT instead of 0 and are never picked.
        product = (want[start:stop] @ offer_t).tocsr()
        at = np.repeat(np.arange(0, size * padded, padded, dtype=np.int64), np.diff(product.indptr))
        at += product.indices
        flat = scores_buffer[: size * padded]
        flat.fill(UNFIT)
        flat[at] = product.data
        del product, at
        scores = flat.reshape(size, padded)
        for row, dept in zip(scores, mentee_dept[start:stop].tolist(), strict=True):
            np.add(row, dept_bonus[dept], out=row)
        _shift(scores, shared_mentor, start, stop, width, add=SHARED_MENTOR_BONUS)
        scores[:, alumni_cols] = scores[:, alumni_cols] + np.float64(0.05)
        jitter = jitter_buffer[:size]
        rng.random(out=jitter, dtype=np.float32)  # drawn for every cell, picked or not: the same stream as ever
        jitter *= 1e-3
        scores[:, :width] += jitter
        _shift(scores, excluded, start, stop, width, value=UNFIT)
        _shift(scores, repeated, start, stop, width, add=-REPEAT_PENALTY)
        # Only cells that can be among a mentee's k best are kept. The k-th largest of the block maxima is a floor
        # for the k-th best cell (k blocks each hold a cell at least that high), and only blocks reaching it are
        # read; the same with k_short marks the short list the greedy starts from.
        by_block = flat.reshape(size, blocks, _BLOCK)
        peaks = by_block[:, :, 0].copy()
        for offset in range(1, _BLOCK):  # across blocks, one column at a time: much faster than max(axis=2)
            np.maximum(peaks, by_block[:, :, offset], out=peaks)
        floor_full = np.full(size, UNFIT / 2, dtype=np.float32)
        floor_short = floor_full.copy()
        if k_short < blocks:
            nth = sorted({blocks - k_short, max(blocks - k, 0)})
            ranked = np.partition(peaks, nth, axis=1)
            np.maximum(floor_short, ranked[:, blocks - k_short], out=floor_short)
            if k < blocks:
                np.maximum(floor_full, ranked[:, blocks - k], out=floor_full)
        hot_rows, hot_blocks = np.nonzero(peaks >= floor_full[:, None])
        cells = by_block[hot_rows, hot_blocks]
        at_row, at_cell = np.nonzero(cells >= floor_full[hot_rows, None])  # by mentee, then candidate
        rows = hot_rows[at_row]
        cols = hot_blocks[at_row] * _BLOCK + at_cell
        values = cells[at_row, at_cell]
        kept.append(((rows + start) * width + cols, values, values >= floor_short[rows]))
    del scores_buffer, jitter_buffer
    all_keys = np.concatenate([p[0] for p in kept])
    all_scores = np.concatenate([p[1] for p in kept])
    listed = np.concatenate([p[2] for p in kept])
    all_rows = all_keys // width
    cells = np.bincount(all_rows, minlength=len(mentees))
    in_short = np.bincount(all_rows, weights=listed, minlength=len(mentees)).astype(np.int64)
    # a mentee's list is whole when it holds its k best: all its kept cells, if they are at most k
    whole = (in_short == cells) & (cells <= k)

    def cut_to_k(mentee_rows: np.ndarray) -> None:
        """Give these mentees exactly their k best (best first, ties to the candidate listed first)."""
        take = np.flatnonzero(mentee_rows[all_rows])
        take = take[np.lexsort((-all_scores[take], all_rows[take]))]  # stable: candidates stay in list order
        rank = np.arange(len(take)) - np.searchsorted(all_rows[take], all_rows[take], side="left")
        listed[take] = rank < k
        whole[mentee_rows] = True

    oversize = in_short > k
    if oversize.any():
        cut_to_k(oversize)

    # Greedy by score under the caps over the short lists. A mentee left short while its list was not whole gets
    # its k best and the greedy runs again. Cells past a filled mentee's short list come after its last pick, so
    # they would have been skipped anyway: the result is the greedy over every mentee's k best.
    cap = max(min_cap, math.ceil(share * len(mentees)))
    while True:
        use = np.flatnonzero(listed)
        use = use[np.lexsort((all_keys[use], -all_scores[use]))]  # best first; exact ties by mentee, then candidate
        load = [0] * width
        given = [0] * len(mentees)
        chosen_idx: list[int] = []
        use_rows, use_cols = np.divmod(all_keys[use], width)
        for n, i, j in zip(use.tolist(), use_rows.tolist(), use_cols.tolist(), strict=True):
            if given[i] >= per_mentee or load[j] >= cap:
                continue
            given[i] += 1
            load[j] += 1
            chosen_idx.append(n)
        short = (np.asarray(given) < per_mentee) & ~whole
        if not short.any():
            break
        cut_to_k(short)
    chosen = np.asarray(chosen_idx, dtype=np.int64)
    chosen_keys = all_keys[chosen]
    chosen_scores = all_scores[chosen]
    shares_mentor = _member(chosen_keys, shared_mentor).tolist()
    rows_, cols_ = np.divmod(chosen_keys, width)

    wanted = [set(info[m].want) for m in mentees]
    offers = [info[c].offer for c in candidates]
    for i, j, score, shared_past in zip(
        rows_.tolist(), cols_.tolist(), chosen_scores.tolist(), shares_mentor, strict=True
    ):
        mentee, theirs = mentees[i], info[candidates[j]]
        shared = tuple(sorted(wanted[i].intersection(offers[j])))
        bits = []
        if shared:
            bits.append("knows " + ", ".join(shared[:3]))
        if theirs.department and theirs.department != info[mentee].department:
            bits.append(f"works in {theirs.department}")
        if theirs.alumni:
            bits.append("program alumni")
        if shared_past:
            bits.append("shares a past mentor or mentee with you")
        score = score + REPEAT_PENALTY if score < 0 else score
        result[mentee].append(PersonSuggestion(candidates[j], round(score, 4), shared, "; ".join(bits)))
    earlier = seen or {}
    for mentee, suggestions in result.items():  # fresh people first, then by score (the greedy's order already)
        if earlier.get(mentee):
            suggestions.sort(key=lambda s, before=earlier[mentee]: (s.user_id in before, -s.score))
    return result


def suggestion_load(plan: Mapping[str, Sequence[PersonSuggestion]]) -> dict[str, int]:
    """How many mentees each person is suggested to."""
    load: dict[str, int] = {}
    for suggestions in plan.values():
        for s in suggestions:
            load[s.user_id] = load.get(s.user_id, 0) + 1
    return load


# ------------------------------------------------------------------ services: people to meet


def _workspace(*, session: Session, team_id: str) -> tuple[list[Profile], list[tuple[str, str, str]], dict[str, int]]:
    rows = participants.list_participants(session=session, team_id=team_id, status=None)
    cohorts = {p.user_id: int(p.cohort_id or 0) for p, _ in rows}
    return [people.to_profile(p, row) for p, row in rows], store.all_pairings(session=session, team_id=team_id), cohorts


def month_seed(now: datetime) -> int:
    """The jitter seed of a month: ties between equal candidates fall differently each month."""
    return now.year * 12 + now.month


def refresh_people_to_meet(
    *, session: Session, team_id: str, now: datetime, taxonomy: Taxonomy | None = None, share: float = DEFAULT_SHARE
) -> dict[str, list[PersonSuggestion]]:
    """Recompute and store "people to meet" for every mentee of a workspace.

    Everyone already suggested to a mentee in their current cohort goes to the back of the queue, and anyone
    they were introduced to is left out, so each month's suggestions are new people while new people fit.
    """
    profiles, pairings, cohorts = _workspace(session=session, team_id=team_id)
    earlier = store.suggested_before(session=session, team_id=team_id)
    seen = {mentee: earlier[(mentee, cohort)] for mentee, cohort in cohorts.items() if (mentee, cohort) in earlier}
    plan = plan_people_to_meet(
        profiles,
        pairings=[(a, b) for a, b, _ in pairings],
        alumni=store.alumni_ids(session=session, team_id=team_id),
        opted_out=store.opted_out_ids(session=session, team_id=team_id),
        seen=seen,
        introduced=store.introduced_pairs(session=session, team_id=team_id),
        taxonomy=taxonomy,
        share=share,
        seed=month_seed(now),
    )
    store.replace_people_suggestions(
        session=session, team_id=team_id, rows={m: [s.as_row() for s in v] for m, v in plan.items()}, now=now
    )
    log.info("people to meet refreshed team=%s mentees=%d", team_id, len(plan))
    return plan


def people_to_meet(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    now: datetime,
    taxonomy: Taxonomy | None = None,
    saved: tuple[Any, Profile, str] | None = None,
) -> list[PersonSuggestion]:
    """A mentee's stored suggestions, re-checked against today's opt-outs, pairings and reporting lines.

    Reading never computes: when the mentee has none stored and the last computation is older than
    ``REFRESH_AFTER`` (or there was none), a workspace-wide refresh is queued on the outbox, where exactly
    one dispatcher runs it (so load spreading holds and concurrent App Home opens never race to rebuild).
    """
    rows = store.people_suggestions_for(session=session, team_id=team_id, mentee_user_id=user_id)
    if not rows:
        last = store.last_people_refresh(session=session, team_id=team_id)
        if last is None or now - last > REFRESH_AFTER:
            queue_refresh(session=session, team_id=team_id, now=now)
        return []
    opted = store.opted_out_ids(session=session, team_id=team_id)
    paired = store.pairing_partners(session=session, team_id=team_id, user_id=user_id)
    met = {b for a, b in store.introduced_pairs(session=session, team_id=team_id, user_id=user_id) if a == user_id}
    saved = saved or people.load_profile(session=session, team_id=team_id, user_id=user_id)
    # people whose confidential list names this mentee are never suggested to them
    opted |= store.listed_by(
        session=session, team_id=team_id, other_id=user_id, other_key=saved[0].person_key if saved else ""
    )
    manager = saved[1].manager_id if saved else None
    candidates = [
        row
        for row in rows
        if not (
            row.suggested_user_id in opted
            or row.suggested_user_id in paired
            or row.suggested_user_id in met
            or row.suggested_user_id == manager
        )
    ]
    others = participants.status_and_manager(
        session=session, team_id=team_id, user_ids={row.suggested_user_id for row in candidates}
    )
    result = []
    for row in candidates:
        other = row.suggested_user_id
        found = others.get(other)
        if found is None or found[1] == user_id or found[0] != Status.ACTIVE:
            continue
        result.append(PersonSuggestion(other, row.score, tuple(row.shared_skills or ()), row.reason))
    return result


def queue_refresh(*, session: Session, team_id: str, now: datetime) -> None:
    """Ask the outbox for one workspace-wide recomputation of people to meet (one per hour at most)."""
    from bot.outbox import schedule_prompt

    schedule_prompt(
        session=session,
        team_id=team_id,
        key=f"people-refresh:{now:%Y-%m-%dT%H}",
        kind=PEOPLE_REFRESH_KIND,
        due_at=now,
    )
    session.commit()


def render_people_refresh(services: Services, session: Session, prompt: Any, now: datetime) -> None:
    """Outbox renderer for ``people_refresh``: recompute, send nothing."""
    refresh_people_to_meet(session=session, team_id=prompt.team_id, now=now, taxonomy=services.taxonomy)


def set_suggest_me(*, session: Session, team_id: str, user_id: str, on: bool, now: datetime) -> None:
    """Opt in or out of being suggested to mentees ("don't suggest me")."""
    store.upsert_pref(session=session, team_id=team_id, user_id=user_id, suggest_me=on, now=now)


# ------------------------------------------------------------------ services: alumni


def join_alumni(*, session: Session, team_id: str, user_id: str, now: datetime, as_mentor: bool = False) -> bool:
    """Add a person to the alumni pool (the closure message's opt-in calls this).

    Alumni are suggested to mentees as people to meet. With ``as_mentor`` they also join the open cohort's
    mentor pool, keeping their profile (a former mentee becomes "both").

    Returns:
        False when the person has no participant record (never signed up or left).
    """
    participant = participants.get_participant(session=session, team_id=team_id, user_id=user_id)
    if participant is None:
        return False
    store.upsert_pref(session=session, team_id=team_id, user_id=user_id, alumni=True, now=now)
    if as_mentor:
        if participant.role == Role.MENTEE.value:
            participant.role = Role.BOTH.value
        participant.status = Status.ACTIVE.value
        participant.cohort_id = signup_cohort(session=session, team_id=team_id).id
        participant.updated_at = now
        session.add(participant)
        session.commit()
    return True


def leave_alumni(*, session: Session, team_id: str, user_id: str, now: datetime) -> None:
    """Leave the alumni pool (no longer suggested as an alumnus)."""
    store.upsert_pref(session=session, team_id=team_id, user_id=user_id, alumni=False, now=now)


def can_join_alumni(*, session: Session, team_id: str, user_id: str) -> bool:
    """Only people whose pair has closed can join the alumni pool themselves."""
    return store.has_closed_pair(session=session, team_id=team_id, user_id=user_id)


# ------------------------------------------------------------------ services: warm introductions


def parse_intro_args(args: str) -> tuple[str | None, str]:
    """``/mentor intro <@U123|name> [why]`` -> (target id or None, why)."""
    first, _, rest = args.strip().partition(" ")
    match = _MENTION.match(first) or _BARE_ID.match(first)
    return (match.group(1) if match else None), rest.strip()


@dataclass(frozen=True)
class IntroOutcome:
    """What to tell the person who acted, and the introduction concerned."""

    ok: bool
    message: str
    intro_id: int | None = None


def request_intro(
    *,
    session: Session,
    client: WebClient,
    team_id: str,
    requester_id: str,
    target_id: str,
    reason: str,
    now: datetime,
    channel_id: str = "",
    source: str = IntroSource.COMMAND,
    bot_user_id: str = "",
) -> IntroOutcome:
    """Ask ``target_id`` privately whether they'd like to be introduced; nothing else happens before they accept.

    The requester's partner (their mentor or mentee, when they have one open pair) is part of the
    introduction. Refused without using up an ask: introducing yourself, your partner, an app or bot (this one,
    ``bot_user_id``, included) or someone Slack does not know; more than ``MAX_PENDING_INTROS`` pending asks,
    or a second pending ask for the same person (a double click lands here too).
    """
    from bot.views.knowledge import intro_ask_message

    saved = people.load_profile(session=session, team_id=team_id, user_id=requester_id)
    if not saved:
        return IntroOutcome(False, "Introductions are for people in the mentorship program: `/mentor join` first.")
    requester_key = saved[0].person_key
    if len(reason) > MAX_REASON:
        return IntroOutcome(False, f"Keep the reason to {MAX_REASON} characters or fewer (it has {len(reason):,}).")
    pair = pair_for(session=session, team_id=team_id, user_id=requester_id, channel_id=channel_id)
    partner = ""
    if pair is not None:
        partner = pair.mentor_user_id if pair.mentee_user_id == requester_id else pair.mentee_user_id
    if target_id == requester_id:
        return IntroOutcome(False, "That's you! Pick someone you'd like to meet.")
    if target_id == partner:
        return IntroOutcome(False, f"You already know <@{target_id}>: they're in your pair.")
    if refusal := _not_a_person(client, target_id, bot_user_id=bot_user_id):
        return IntroOutcome(False, refusal)
    if refusal := _ask_refused(
        session=session,
        team_id=team_id,
        requester_id=requester_id,
        requester_key=requester_key,
        target_id=target_id,
        now=now,
    ):
        return IntroOutcome(False, refusal)
    if store.count_pending_intros(session=session, team_id=team_id, requester_id=requester_id) >= MAX_PENDING_INTROS:
        return IntroOutcome(
            False,
            f"You already have {MAX_PENDING_INTROS} introductions waiting for an answer. "
            "I'll let you know how they go; ask for another one after that.",
        )
    intro = store.create_intro(
        session=session,
        team_id=team_id,
        requester_id=requester_id,
        target_id=target_id,
        partner_id=partner,
        pair_id=(pair.id or 0) if pair is not None else 0,
        reason=reason,
        source=source,
        now=now,
        expires_at=now + INTRO_TTL,
    )
    if intro is None or intro.id is None:
        return IntroOutcome(
            False, f"You've already asked for an introduction to <@{target_id}>. I'll let you know how it goes."
        )
    from bot.outbox import schedule_prompt

    # the answer window closes through the outbox, so it survives restarts and runs on any replica
    schedule_prompt(
        session=session,
        team_id=team_id,
        key=f"intro-expiry:{intro.id}",
        kind=INTRO_EXPIRY_KIND,
        due_at=intro.expires_at,
        recipient_user_id=requester_id,
        payload={"intro": intro.id},
    )
    session.commit()
    try:
        sent = client.chat_postMessage(channel=target_id, **intro_ask_message(intro))
    except SlackApiError as exc:
        log.warning("intro ask failed intro=%s error=%s", intro.id, exc.response.get("error"))
        store.decide_intro(session=session, intro_id=intro.id, status=IntroStatus.WITHDRAWN, now=now)
        return IntroOutcome(False, "I couldn't reach that person on Slack. Check the name and try again.")
    store.update_intro(
        session=session, intro_id=intro.id, ask_channel=str(sent.get("channel", "")), ask_ts=str(sent.get("ts", ""))
    )
    with_partner = f" (with <@{partner}>)" if partner else ""
    return IntroOutcome(
        True,
        f":wave: I've asked <@{target_id}> privately whether they'd like an introduction{with_partner}. "
        "If they're up for it, I'll open a group DM for you all.",
        intro.id,
    )


def _not_a_person(client: WebClient, user_id: str, *, bot_user_id: str = "") -> str:
    """Why ``user_id`` cannot be introduced (an app, a bot, nobody Slack knows), else ""."""
    app = f"<@{user_id}> is an app, not a person: introductions are between people. Pick someone you'd like to meet."
    if user_id in (bot_user_id, "USLACKBOT"):
        return app
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as exc:
        if exc.response.get("error") == "user_not_found":
            return "I can't find that person in this workspace. Check the name and try again."
        return ""  # Slack could not say: the ask itself will tell
    if not isinstance(user, dict):
        return ""
    if user.get("is_bot") or user.get("is_app_user"):
        return app
    if user.get("deleted"):
        return f"<@{user_id}> is no longer in this workspace."
    return ""


def _ask_refused(
    *, session: Session, team_id: str, requester_id: str, requester_key: str, target_id: str, now: datetime
) -> str | None:
    """Why the person must not be asked now, worded for the requester; None when they may be asked.

    The target's "don't suggest me" and a confidential do-not-pair list naming the requester get the same
    answer, so the requester never learns which. An earlier ask that led to no introduction blocks the same
    ask for ``REASK_AFTER`` whether it was declined or expired, and nobody is asked more than
    ``MAX_ASKS_RECEIVED`` times per ``ASK_WINDOW``.
    """
    pref = store.get_pref(session=session, team_id=team_id, user_id=target_id)
    if (pref is not None and not pref.suggest_me) or store.blocks_person(
        session=session, team_id=team_id, user_id=target_id, other_id=requester_id, other_key=requester_key
    ):
        return not_taking_text(target_id)
    asked_as = [requester_id, *([pseudonym_of_key(requester_key)] if requester_key else [])]
    earlier = store.last_unanswered_intro(
        session=session, team_id=team_id, requester_ids=asked_as, target_id=target_id, since=now - REASK_AFTER
    )
    if earlier is not None:
        again = earlier.created_at + REASK_AFTER
        return (
            f"You asked for an introduction to <@{target_id}> on {earlier.created_at:%d %B %Y}; you can ask them "
            f"again from {again:%d %B %Y}. Meanwhile, `/mentor resources` or your people to meet may help."
        )
    if store.count_asks_received(session=session, team_id=team_id, target_id=target_id, since=now - ASK_WINDOW) >= (
        MAX_ASKS_RECEIVED
    ):
        return (
            f"<@{target_id}> has had several introduction requests lately, so I won't add another this month. "
            "You could ask someone else."
        )
    return None


def _profile_of(session: Session, team_id: str, user_id: str) -> Profile | None:
    saved = people.load_profile(session=session, team_id=team_id, user_id=user_id)
    return saved[1] if saved else None


def skill_overlap(intro: Introduction, *, session: Session, taxonomy: Taxonomy | None = None) -> list[str]:
    """Skills the target offers that the mentee of the introduction is working on (or any shared skills)."""
    taxonomy = taxonomy or default_taxonomy()
    target = _profile_of(session, intro.team_id, intro.target_id)
    if target is None:
        return []
    theirs = set(target.skills_offered) | set(target.skills_wanted)
    others = [
        p for p in (_profile_of(session, intro.team_id, u) for u in (intro.requester_id, intro.partner_id) if u) if p
    ]
    wanted: dict[str, float] = {}
    for p in others:
        for skill, weight in goal_skills(p, taxonomy).items():
            wanted[skill] = max(wanted.get(skill, 0.0), weight)
    overlap = sorted((s for s in wanted if s in theirs), key=lambda s: (-wanted[s], s))
    if not overlap:
        mine = {s for p in others for s in (*p.skills_offered, *p.skills_wanted)}
        overlap = sorted(theirs & mine)
    return overlap


def accept_intro(
    *, session: Session, client: WebClient, team_id: str, intro_id: int, user_id: str, now: datetime
) -> IntroOutcome:
    """The target accepts: open the group DM with the three and introduce them (once, even on a double click)."""
    from bot.views.knowledge import intro_group_message

    intro = store.get_intro(session=session, team_id=team_id, intro_id=intro_id)
    if intro is None or intro.id is None:
        return IntroOutcome(False, "That introduction no longer exists.")
    if intro.target_id != user_id:
        return IntroOutcome(False, "Only the person being asked can answer this introduction.")
    if intro.status == IntroStatus.WITHDRAWN or is_pseudonym(intro.requester_id):
        return IntroOutcome(False, WITHDRAWN_TEXT, intro.id)
    if not store.decide_intro(session=session, intro_id=intro.id, status=IntroStatus.ACCEPTED, now=now):
        return IntroOutcome(False, "You've already answered this one. Thank you!", intro.id)
    users = [u for u in dict.fromkeys((intro.requester_id, intro.partner_id, intro.target_id)) if u]
    opened = client.conversations_open(users=",".join(users))
    channel = str((opened.get("channel") or {}).get("id", ""))
    store.update_intro(session=session, intro_id=intro.id, group_channel_id=channel)
    client.chat_postMessage(channel=channel, **intro_group_message(intro, skill_overlap(intro, session=session)))
    return IntroOutcome(True, "Thank you! I've opened a group DM so you can say hello.", intro.id)


def decline_intro(
    *, session: Session, client: WebClient, team_id: str, intro_id: int, user_id: str, now: datetime
) -> IntroOutcome:
    """The target says "Not now". The requester hears nothing yet: when the answer window closes they hear "not
    available right now", exactly what an unanswered ask gets (``render_intro_expiry``)."""
    intro = store.get_intro(session=session, team_id=team_id, intro_id=intro_id)
    if intro is None or intro.id is None:
        return IntroOutcome(False, "That introduction no longer exists.")
    if intro.target_id != user_id:
        return IntroOutcome(False, "Only the person being asked can answer this introduction.")
    if intro.status == IntroStatus.WITHDRAWN:
        return IntroOutcome(False, WITHDRAWN_TEXT, intro.id)
    if not store.decide_intro(session=session, intro_id=intro.id, status=IntroStatus.DECLINED, now=now):
        return IntroOutcome(False, "You've already answered this one. Thank you!", intro.id)
    return IntroOutcome(
        True,
        "No problem. Nobody is told you said no; when the request would have run out, they only hear you're not "
        "available right now.",
        intro.id,
    )


WITHDRAWN_TEXT = "This introduction request was withdrawn: the person who asked left the program. Nothing to do."


# ------------------------------------------------------------------ the monthly nudge (outbox)


def render_people_to_meet(services: Services, session: Session, prompt: Any, now: datetime) -> Any:
    """Outbox renderer for ``people_to_meet``: the recipient's suggestions with "Ask for an intro" buttons."""
    from bot.outbox import Outgoing
    from bot.views.knowledge import people_to_meet_message

    user_id = str(prompt.recipient_user_id or "")
    saved = people.load_profile(session=session, team_id=prompt.team_id, user_id=user_id)
    if saved is None or saved[1].status != Status.ACTIVE or not saved[1].is_mentee:
        return None
    suggestions = people_to_meet(
        session=session, team_id=prompt.team_id, user_id=user_id, now=now, taxonomy=services.taxonomy, saved=saved
    )
    earlier = _suggested_in_cohort(session, prompt.team_id, saved[0])
    last = store.last_people_refresh(session=session, team_id=prompt.team_id)
    if any(s.user_id in earlier for s in suggestions) and (last is None or now - last >= ROTATE_AFTER):
        # last month's people again: recompute the workspace once (one dispatcher), which rotates them out
        refresh_people_to_meet(session=session, team_id=prompt.team_id, now=now, taxonomy=services.taxonomy)
        suggestions = people_to_meet(
            session=session, team_id=prompt.team_id, user_id=user_id, now=now, taxonomy=services.taxonomy, saved=saved
        )
    if not suggestions:
        return None
    has_mentor = store.has_open_mentor(session=session, team_id=prompt.team_id, mentee_user_id=user_id)
    return Outgoing(channel=user_id, **people_to_meet_message(suggestions, has_mentor=has_mentor))


def _suggested_in_cohort(session: Session, team_id: str, participant: Any) -> set[str]:
    cohort_id = int(participant.cohort_id or 0)
    found = store.suggested_before(session=session, team_id=team_id, mentee_user_id=participant.user_id)
    return found.get((participant.user_id, cohort_id), set())


def _after_people_to_meet(services: Services, session: Session, prompt: Any, now: datetime) -> None:
    """The nudge went out: remember who it suggested (this cohort), then schedule next month's."""
    user_id = str(prompt.recipient_user_id or "")
    saved = people.load_profile(session=session, team_id=prompt.team_id, user_id=user_id)
    if saved is not None:
        sent = people_to_meet(
            session=session, team_id=prompt.team_id, user_id=user_id, now=now, taxonomy=services.taxonomy, saved=saved
        )
        store.record_suggested(
            session=session,
            team_id=prompt.team_id,
            cohort_id=int(saved[0].cohort_id or 0),
            mentee_user_id=user_id,
            suggested=[s.user_id for s in sent],
            now=now,
        )
    _schedule_next(services, session, prompt, now)


def _schedule_next(services: Services, session: Session, prompt: Any, now: datetime) -> None:
    from bot.outbox import schedule_prompt

    due = now + NUDGE_EVERY
    schedule_prompt(
        session=session,
        team_id=prompt.team_id,
        key=f"people_to_meet:{prompt.recipient_user_id}:{due:%Y-%m}",
        kind=PEOPLE_TO_MEET_KIND,
        due_at=due,
        recipient_user_id=prompt.recipient_user_id,
    )


def render_intro_expiry(services: Services, session: Session, prompt: Any, now: datetime) -> Any:
    """Outbox renderer for ``intro_expiry``: the answer window closed. Unless the ask was accepted, the requester
    hears "not available right now", the same words at the same time whether it was declined, left unanswered,
    or the person asked left the program."""
    from bot.outbox import Outgoing

    intro = store.get_intro(session=session, team_id=prompt.team_id, intro_id=int((prompt.payload or {})["intro"]))
    if intro is None or intro.id is None or is_pseudonym(intro.requester_id):
        return None
    if intro.status == IntroStatus.PENDING:
        store.decide_intro(session=session, intro_id=intro.id, status=IntroStatus.EXPIRED, now=now)
        intro = store.get_intro(session=session, team_id=prompt.team_id, intro_id=intro.id) or intro
    if intro.status == IntroStatus.WITHDRAWN and not is_pseudonym(intro.target_id):
        return None  # the ask never reached them, and the requester was told so at once
    if intro.status not in (IntroStatus.EXPIRED, IntroStatus.DECLINED, IntroStatus.WITHDRAWN):
        return None  # accepted in time
    return Outgoing(channel=intro.requester_id, text=not_available_text(intro.target_id))


def register_prompt_kinds() -> None:
    """Register the monthly ``people_to_meet`` nudge and intro expiry with the outbox (idempotent)."""
    from bot.outbox import register_prompt_kind

    register_prompt_kind(PEOPLE_TO_MEET_KIND, render_people_to_meet, after_send=_after_people_to_meet)
    register_prompt_kind(INTRO_EXPIRY_KIND, render_intro_expiry)
    register_prompt_kind(PEOPLE_REFRESH_KIND, render_people_refresh)


def schedule_people_to_meet(*, session: Session, team_id: str, now: datetime) -> int:
    """Recompute suggestions and schedule this month's nudge for every active mentee (idempotent per month).

    Each sent nudge schedules the next one a month later.

    Returns:
        How many mentees the nudge is scheduled for.
    """
    from bot.outbox import schedule_prompt

    plan = refresh_people_to_meet(session=session, team_id=team_id, now=now)
    count = 0
    for mentee, suggestions in plan.items():
        if suggestions:
            schedule_prompt(
                session=session,
                team_id=team_id,
                key=f"people_to_meet:{mentee}:{now:%Y-%m}",
                kind=PEOPLE_TO_MEET_KIND,
                due_at=now,
                recipient_user_id=mentee,
            )
            count += 1
    session.commit()
    return count


def home_blocks(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    now: datetime,
    taxonomy: Taxonomy | None = None,
    saved: tuple[Any, Profile, str] | None = None,
) -> list[dict[str, Any]]:
    """The App Home's "People to meet" section: suggestions for an active mentee, the opt-out toggle for all.

    ``saved`` is the person's already loaded profile (``people.load_profile``), to spare a query.
    """
    from bot.views.knowledge import people_to_meet_blocks

    saved = saved or people.load_profile(session=session, team_id=team_id, user_id=user_id)
    if saved is None:
        return []
    suggest_me = store.suggest_me(session=session, team_id=team_id, user_id=user_id)
    profile = saved[1]
    suggestions: list[PersonSuggestion] = []
    if profile.is_mentee and profile.status == Status.ACTIVE:
        suggestions = people_to_meet(
            session=session, team_id=team_id, user_id=user_id, now=now, taxonomy=taxonomy, saved=saved
        )
    elif not profile.is_mentor:
        return []
    blocks = people_to_meet_blocks(suggestions, suggest_me=suggest_me)
    if not profile.is_mentee:  # a mentor only needs the toggle
        blocks = [b for b in blocks if b.get("type") == "actions"]
    return blocks
