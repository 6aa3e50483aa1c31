"""Scoring: factors, reasons, DST-correct overlap, hard constraints, vectorised == scalar."""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pytest

from bot.matching import MatchSettings, Weights, score, score_matrix, shared_hours
from bot.matching.matrix import pair_block
from bot.matching.scoring import FACTORS
from bot.profiles import Profile, Role, Status, Window
from bot.sandbox.people import generate_people
from bot.views.reasons import Reader, reason_text, unmatched_text
from storage.vocab import Factor, UnmatchedReason

WEEK = date(2025, 5, 14)


def mentee(**kw) -> Profile:
    base = dict(
        user_id="E1",
        role=Role.MENTEE,
        seniority="junior",
        skills_wanted=("python", "go"),
        timezone="Europe/London",
        days=("tue", "thu"),
        time_slots=("afternoon",),
    )
    return Profile(**{**base, **kw})


def mentor(**kw) -> Profile:
    base = dict(
        user_id="M1",
        role=Role.MENTOR,
        seniority="senior",
        skills_offered=("python",),
        timezone="Europe/London",
        days=("tue", "thu"),
        time_slots=("afternoon",),
    )
    return Profile(**{**base, **kw})


def test_factors_add_up_and_reasons_are_best_first():
    s = score(mentee(interests=("open source",)), mentor(interests=("open source",)), Weights(), week_of=WEEK)
    assert set(s.factors) == set(FACTORS)
    assert s.total == pytest.approx(sum(s.factors.values()))
    # skills: 1 of 2 wanted = 0.5 * 0.30; availability 6 h >= 4 h: full 0.15; seniority gap 2 = ideal: 0.10
    assert s.factors["skills"] == pytest.approx(0.15)
    assert s.factors["availability"] == pytest.approx(0.15)
    assert s.factors["seniority"] == pytest.approx(0.10)
    assert s.reasons[0]["factor"] in (Factor.SKILLS, Factor.AVAILABILITY)  # reasons are data, best first
    (overlap,) = [r for r in s.reasons if r["factor"] == Factor.AVAILABILITY]
    assert overlap["hours"] == 6 and overlap["mentee_windows"] == [[1, 840, 1020], [3, 840, 1020]]
    assert len(s.reasons) <= 3
    # worded per reader: the mentee reads their own time, the pair's DM names nobody's "your"
    assert reason_text(overlap, reader=Reader.MENTEE) == (
        "6 hours a week of shared working hours: Tue/Thu 14:00-17:00 your time"
    )
    assert "your" not in reason_text(overlap, reader=Reader.PAIR)
    skills = next(r for r in s.reasons if r["factor"] == Factor.SKILLS)
    assert reason_text(skills, reader=Reader.MENTEE, mentor="<@M1>") == "<@M1> offers python, which you want to learn"
    assert reason_text(skills, reader=Reader.MENTOR) == "they want to learn python, which you offer"
    assert reason_text(skills, reader=Reader.COORDINATOR, mentee="<@E1>", mentor="<@M1>") == (
        "<@E1> wants to learn python; <@M1> offers it"
    )


def test_mentor_not_more_senior_scores_zero_seniority():
    assert (
        score(mentee(seniority="senior"), mentor(seniority="senior"), Weights(), week_of=WEEK).factors["seniority"] == 0
    )
    assert (
        score(mentee(seniority="senior"), mentor(seniority="junior"), Weights(), week_of=WEEK).factors["seniority"] == 0
    )
    near = score(mentee(), mentor(seniority="mid"), Weights(), week_of=WEEK).factors["seniority"]
    ideal = score(mentee(), mentor(seniority="senior"), Weights(), week_of=WEEK).factors["seniority"]
    assert 0 < near < ideal


def test_career_goal_uses_taxonomy_related_skills():
    e = mentee(skills_wanted=(), career_goals=("become a manager",))
    m = mentor(skills_offered=("people management", "giving feedback"))
    s = score(e, m, Weights(), week_of=WEEK)
    assert s.factors["goals"] == pytest.approx(0.15 * 2 / 3)
    (goal,) = [r for r in s.reasons if r["factor"] == Factor.GOALS]
    assert goal == {
        "factor": "goals",
        "goal": "become a manager",
        "shared": False,
        "skills": ["people management", "giving feedback"],
    }
    assert reason_text(goal, reader=Reader.MENTEE, mentor="<@M1>") == (
        "<@M1>'s people management and giving feedback can help you toward become a manager"
    )
    assert reason_text(goal, reader=Reader.MENTOR) == (
        "your people management and giving feedback can help them toward become a manager"
    )


def test_weights_round_trip_and_ignore_unknown_keys():
    w = Weights(skills=0.5, ideal_gap=3)
    assert Weights.from_dict(w.to_dict()) == w
    assert Weights.from_dict({"skills": "0.7", "bogus": 1}).skills == 0.7
    assert MatchSettings.from_dict(MatchSettings(max_share=0.2).to_dict()).max_share == 0.2
    with pytest.raises(ValueError):
        Weights(skills=-1)


def test_dst_gap_between_us_and_uk_changes_overlap():
    new_york = mentee(timezone="America/New_York", days=("tue",), time_slots=("morning",))  # 09:00-12:00
    london = mentor(timezone="Europe/London", days=("tue",), time_slots=("afternoon",))  # 14:00-17:00
    # February: both on standard time, NY = UTC-5: 14:00-17:00 UTC, identical to London: 3 h.
    assert shared_hours(new_york, london, date(2025, 2, 11))[0] == 3.0
    # 10-16 March 2025: the US has switched (UTC-4: 13:00-16:00 UTC), the UK has not: 2 h.
    hours, windows = shared_hours(new_york, london, date(2025, 3, 11))
    assert hours == 2.0
    assert windows == [Window(1, 10 * 60, 12 * 60)]  # in New York time
    assert shared_hours(london, new_york, date(2025, 3, 11))[1] == [Window(1, 14 * 60, 16 * 60)]
    # April: both on summer time: 3 h again.
    assert shared_hours(new_york, london, date(2025, 4, 8))[0] == 3.0


def test_overlap_across_the_date_line_and_half_hour_zone():
    sydney = mentee(timezone="Australia/Sydney", days=("tue",), time_slots=("early",))  # Tue 07-09 AEST = Mon 21-23 UTC
    london = mentor(timezone="Europe/London", days=("mon",), time_slots=("evening",))  # Mon 17-19 BST = 16-18 UTC
    assert shared_hours(sydney, london, date(2025, 6, 10))[0] == 0.0
    la = mentor(timezone="America/Los_Angeles", days=("mon",), time_slots=("afternoon",))  # Mon 14-17 PDT = 21-24 UTC
    hours, windows = shared_hours(sydney, la, date(2025, 6, 10))
    assert hours == 2.0
    assert windows == [Window(1, 7 * 60, 9 * 60)]
    kolkata = mentor(timezone="Asia/Kolkata", days=("tue",), time_slots=("afternoon",))  # 08:30-11:30 UTC
    berlin = mentee(timezone="Europe/Berlin", days=("tue",), time_slots=("morning",))  # 07:00-10:00 UTC (CEST)
    assert shared_hours(berlin, kolkata, date(2025, 6, 10))[0] == 1.5


def test_constraints_remove_pairs_with_reasons():
    settings = MatchSettings()
    e = mentee(languages=("japanese",), manager_id="M2")
    mentors = [
        mentor(user_id="M1", languages=("english",)),
        mentor(user_id="M2"),
        mentor(user_id="M3", status=Status.PAUSED),
        mentor(user_id="M4", languages=("english",)),
    ]
    m = score_matrix([e], mentors, Weights(), settings, week_of=WEEK)
    assert not m.allowed.any()
    assert m.no_candidate == {"E1": UnmatchedReason.LANGUAGE}

    far = mentor(user_id="M5", timezone="Asia/Tokyo")
    m = score_matrix([mentee()], [far, mentor(user_id="M6", timezone="Asia/Tokyo")], Weights(), settings, week_of=WEEK)
    assert m.no_candidate == {"E1": "availability:1"}
    assert unmatched_text(m.no_candidate["E1"], reader=Reader.MENTEE) == (
        "no mentor shares at least 1 hour a week with your working hours"
    )


def test_each_hard_constraint_matches_scalar_reference():
    settings = MatchSettings(same_department_excluded=True, score_floor=0.3)
    e = mentee(department="data", do_not_pair=frozenset({"M5"}), manager_id="M2")
    ms = [
        mentor(user_id="E1"),
        mentor(user_id="M2"),
        mentor(user_id="M3", manager_id="E1"),
        mentor(user_id="M4"),
        mentor(user_id="M5"),
        mentor(user_id="M6", department="data"),
        mentor(user_id="M7", status=Status.DEPARTED),
        mentor(user_id="M8", skills_offered=(), seniority="intern", meeting_format="in_person"),
        mentor(user_id="M9"),
        mentor(user_id="M10"),
    ]
    e = Profile(**{**e.__dict__, "meeting_format": "video", "skills_wanted": ("python",)})
    past = {("M4", "E1")}
    forbidden = {("E1", "M9")}
    m = score_matrix([e], ms, Weights(), settings, week_of=WEEK, past_pairs=past, forbidden=forbidden)
    for j, mp in enumerate(ms):
        hours = shared_hours(e, mp, WEEK)[0]
        code = pair_block(e, mp, float(m.total[0, j]), hours, settings, past_pairs=past, forbidden=forbidden)
        assert m.allowed[0, j] == (code == 0), mp.user_id
    assert m.allowed[0].tolist() == [False] * 9 + [True]


@pytest.mark.parametrize("week", [date(2025, 3, 12), date(2025, 7, 1), date(2025, 10, 29)])
def test_vectorised_equals_scalar_on_random_sample(week):
    people = generate_people(600, seed=week.toordinal())
    mentees = [p for p in people if p.is_mentee]
    mentors = [p for p in people if p.is_mentor]
    weights = Weights(ideal_gap=3, interests=0.2)
    settings = MatchSettings(same_department_excluded=week.month == 7)
    past = {(mentees[0].user_id, mentors[0].user_id)}
    m = score_matrix(mentees, mentors, weights, settings, week_of=week, past_pairs=past, threads=2)
    rng = random.Random(1)
    sample = [(rng.randrange(len(mentees)), rng.randrange(len(mentors))) for _ in range(400)] + [(0, 0)]
    for i, j in sample:
        s = score(mentees[i], mentors[j], weights, week_of=week)
        assert abs(s.total - float(m.total[i, j])) < 1e-5
        hours = shared_hours(mentees[i], mentors[j], week)[0]
        code = pair_block(mentees[i], mentors[j], s.total, hours, settings, past_pairs=past)
        assert bool(m.allowed[i, j]) == (code == 0)
    assert not m.allowed[0, 0]
    assert 0 < m.allowed.mean() < 1
    assert np.all((m.total >= 0) & (m.total <= 1))
