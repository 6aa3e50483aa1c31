"""plan_round, diff_rounds and the workforce generator."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.matching import MatchSettings, Weights, diff_rounds, plan_round
from bot.profiles import Profile, Role
from bot.sandbox.people import generate_people
from storage.vocab import UnmatchedReason

WEEK = date(2025, 5, 14)


def person(uid, role=Role.MENTEE, **kw):
    base = dict(
        user_id=uid,
        role=role,
        seniority="junior" if role == Role.MENTEE else "staff",
        skills_wanted=("python",),
        skills_offered=("python",) if role != Role.MENTEE else (),
    )
    return Profile(**{**base, **kw})


def plan(mentees, mentors, **kw):
    kw.setdefault("settings", MatchSettings())
    return plan_round(mentees, mentors, weights=Weights(), week_of=WEEK, **kw)


def test_round_pins_forbids_and_reports():
    mentees = [person("E1"), person("E2"), person("E3", languages=("japanese",))]
    mentors = [person("M1", Role.MENTOR, capacity=1), person("M2", Role.MENTOR, capacity=2, skills_offered=())]
    result = plan(mentees, mentors, pinned={("E2", "M1")}, forbidden={("E1", "M1")})
    pairs = {(p.mentee_id, p.mentor_id): p for p in result.pairs}
    assert set(pairs) == {("E2", "M1"), ("E1", "M2")}
    assert pairs[("E2", "M1")].pinned and not pairs[("E1", "M2")].pinned
    assert result.unmatched == {"E3": UnmatchedReason.LANGUAGE}
    assert result.mentor_load == {"M1": (1, 1), "M2": (1, 2)}
    assert result.mean_score == pytest.approx(sum(p.score.total for p in result.pairs) / 2)
    assert all(p.score.reasons for p in result.pairs)


def test_both_person_never_paired_with_themself():
    both = person("B1", Role.BOTH, seniority="senior", skills_offered=("python",))
    result = plan([both], [both])
    assert result.pairs == []
    assert result.unmatched == {"B1": UnmatchedReason.ONLY_SELF}


def test_priority_boost_and_max_share():
    mentees = [person("E1", interests=("startups",)), person("E2")]
    mentors = [person("M1", Role.MENTOR, capacity=2, interests=("startups",))]
    first = plan(mentees, mentors, settings=MatchSettings())
    assert [p.mentee_id for p in first.pairs] == ["E1", "E2"]
    capped = plan(mentees, mentors, settings=MatchSettings(max_share=0.5))
    assert [p.mentee_id for p in capped.pairs] == ["E1"]
    assert "E2" in capped.unmatched
    boosted = plan(mentees, mentors, settings=MatchSettings(max_share=0.5), priority={"E2"})
    assert [p.mentee_id for p in boosted.pairs] == ["E2"]
    diff = diff_rounds(capped, boosted)
    assert diff.added == [("E2", "M1")] and diff.removed == [("E1", "M1")]
    assert diff.newly_unmatched == ["E1"] and diff.newly_matched == ["E2"]
    assert diff_rounds(boosted, boosted).unchanged


def test_past_pairs_excluded_in_both_orders():
    mentees = [person("E1")]
    mentors = [person("M1", Role.MENTOR)]
    assert plan(mentees, mentors, past_pairs={("M1", "E1")}).pairs == []
    assert plan(mentees, mentors, past_pairs={("E1", "M1")}).unmatched["E1"] == UnmatchedReason.ALL_PAST


@pytest.mark.parametrize("backend", ["networkx", "ortools", "dense"])
def test_generated_round_is_the_same_for_every_backend(backend):
    people = generate_people(400, seed=11)
    mentees = [p for p in people if p.is_mentee]
    mentors = [p for p in people if p.is_mentor]
    reference = plan(mentees, mentors, backend="ortools")
    result = plan(mentees, mentors, backend=backend)
    assert result.total_score == pytest.approx(reference.total_score, abs=1e-4)
    assert len(result.pairs) + len(result.unmatched) == len(mentees)
    for mentor_id, (assigned, cap) in result.mentor_load.items():
        assert assigned <= cap, mentor_id
    ids = {p.user_id for p in people}
    assert all(p.mentee_id != p.mentor_id and p.mentee_id in ids for p in result.pairs)


def test_generate_people_is_deterministic_and_realistic():
    people = generate_people(1000, seed=5)
    assert people == generate_people(1000, seed=5)
    assert people != generate_people(1000, seed=6)
    assert len({p.user_id for p in people}) == len({p.name for p in people}) == 1000
    assert all(re.fullmatch(r"U[A-Z0-9]{10}", p.user_id) for p in people)
    assert len({p.timezone for p in people}) >= 6
    mentors = [p for p in people if p.is_mentor]
    mentees = [p for p in people if p.role == Role.MENTEE]
    assert 0.2 < len(mentors) / 1000 < 0.4
    assert any(p.role == Role.BOTH for p in people)
    assert {p.capacity for p in mentors} <= {1, 2, 3, 4}
    assert sum(p.seniority_rank for p in mentors) / len(mentors) > sum(p.seniority_rank for p in mentees) / len(mentees)
    ids = {p.user_id for p in people}
    managed = [p for p in people if p.manager_id]
    assert 50 < len(managed) < 200 and all(p.manager_id in ids for p in managed)
    counts: dict[str, int] = {}
    for p in people:
        for s in p.skills_offered + p.skills_wanted:
            counts[s] = counts.get(s, 0) + 1
    assert max(counts.values()) > 8 * min(counts.values())  # popular and rare skills
