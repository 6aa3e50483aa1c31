"""Every Block Kit builder, fed the largest inputs the app allows, is sent through the strict Slack stand-in.

The stand-in refuses what real Slack refuses (Block Kit limits, unknown arguments); a builder that would break a
limit must page, truncate with "...and N more", or move to a modal instead. Inputs at the limits: the longest
names and texts the forms accept, 3 goals at maximum length, 300 skills, 20 resources, a mentor with 5 mentees.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from slack_sdk import WebClient

from bot import forms as signup_forms
from bot import ids
from bot.knowledge import MAX_NOTE, MAX_QUESTION, MAX_REPLY, MAX_TITLE, MAX_URL, ResourceItem
from bot.lifecycle import forms as pair_forms
from bot.networking import MAX_REASON, PersonSuggestion
from bot.profiles import Profile, Role
from bot.sandbox import SlackSandbox
from bot.stats import ProgramStats
from bot.taxonomy import default_taxonomy
from bot.views import coordinator, home, journey, knowledge, matching, meet, pairs, signup
from bot.views.signup import build_signup_modal, skills_typeahead, timezone_typeahead, uses_typeahead
from storage.vocab import CohortStatus, PairRole, RoundStatus

NOW = datetime(2026, 3, 2, 13, 5, tzinfo=UTC)
USER = "U0LONGNAME1"
PARTNER = "U0LONGNAME2"
LONG_NAME = "Maximiliana Alexandrovna Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh " * 3  # 246 chars
COHORT_NAME = ("Engineering mentoring cohort, spring " * 4)[:120]  # the program modal takes 120 characters
SKILLS_300 = tuple(f"skill {n:03d} " + "x" * (60 - 10) for n in range(300))  # 300 skills of 60 characters
TAXONOMY_300 = signup.Taxonomy(
    skill_groups={"program skills": SKILLS_300},
    interests=default_taxonomy().interests,
    career_goals=default_taxonomy().career_goals,
    industries=default_taxonomy().industries,
    departments=default_taxonomy().departments,
    languages=default_taxonomy().languages,
)
GOALS_3 = [
    {
        "title": "G" * pair_forms.MAX_TITLE,
        "measure": "M" * pair_forms.MAX_MEASURE,
        "progress": "some",
        "done": False,
    }
    for _ in range(pair_forms.MAX_GOALS)
]
REASONS_AT_LIMITS = [
    {"factor": "skills", "skills": list(SKILLS_300)},
    {"factor": "goals", "goal": "g" * 100, "shared": False, "skills": list(SKILLS_300)},
    {
        "factor": "availability",
        "hours": 84.0,
        "mentee_windows": [[d, 420, 1140] for d in range(7)],
        "mentor_windows": [[d, 420, 1140] for d in range(7)],
    },
]
RESOURCES_20 = [
    ResourceItem(n, "https://example.com/" + "p" * (MAX_URL - 20), "T" * MAX_TITLE, tuple(SKILLS_300[:10]), 99, USER)
    for n in range(1, 21)
]


def _pair(n: int = 1) -> Any:
    return SimpleNamespace(
        id=n,
        mentee_user_id=f"U0MENTEE{n:03d}",
        mentor_user_id=USER,
        created_at=NOW - timedelta(days=90),
        status="at_risk",
        version=10**6,
        team_id="T0MENTOR",
        reasons=["R" * 300] * 3,
        score=0.99,
        source="rematch",
        replaces_pair_id=10**9,
        close_reason="",
        closed_at=None,
    )


def _pair_facts() -> Any:
    from storage.pair_control import PairFacts

    return PairFacts(
        meetings=500,
        last_meeting=NOW,
        last_activity=NOW - timedelta(days=400),
        started_at=NOW - timedelta(days=700),
        ends_at=NOW,
        resume_at=NOW,
        silent_stage=2,
        not_a_fit=["mentee", "mentor"],
        checkins_sent=999,
    )


def _pair_card(status: str = "at_risk") -> Any:
    from bot.pair_control import CardData
    from storage.models import AuditLog, PairJourney

    pair = _pair(10**9)
    pair.status = status
    return CardData(
        pair=pair,
        cohort_name=COHORT_NAME,
        facts=_pair_facts(),
        journey=PairJourney(
            team_id="T0MENTOR",
            pair_id=1,
            started_at=NOW - timedelta(days=700),
            ends_at=NOW,
            extensions=99,
            unanswered_checkins=99,
        ),
        goals=GOALS_3,
        goals_status="confirmed",
        meetings=[(NOW - timedelta(days=n), 240) for n in range(500)],
        mentor_load=5,
        mentor_capacity=5,
        rematch_asked=True,
        replaced_by=_pair(10**9 + 1),
        change=AuditLog(team_id="T0MENTOR", actor=USER, action="pair.undo_rematch", created_at=NOW),
        now=NOW,
    )


def _proposal() -> Any:
    from bot.matching import Score
    from bot.pair_matching import Candidate, Proposal

    score = Score(0.99, {"skills": 0.5}, ["R" * 300] * 3)
    return Proposal(PARTNER, [Candidate(f"U0CANDIDAT{n}", score, 5) for n in range(3)], "N" * 300)


def _profile(role: Role = Role.BOTH) -> Profile:
    return Profile(
        user_id=USER,
        role=role,
        name=LONG_NAME,
        skills_offered=SKILLS_300[: signup_forms.MAX_TAGS],
        skills_wanted=SKILLS_300[-signup_forms.MAX_TAGS :],
        interests=default_taxonomy().interests,
        career_goals=tuple(default_taxonomy().career_goals),
        department=default_taxonomy().departments[0],
        industry=default_taxonomy().industries[0],
        timezone="America/Argentina/ComodRivadavia",
        days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
        time_slots=("early", "morning", "midday", "afternoon", "evening"),
        capacity=5,
        languages=default_taxonomy().languages,
    )


def _stats() -> ProgramStats:
    return ProgramStats(
        team_id="T0MENTOR",
        cohort_id=1,
        cohort_name=COHORT_NAME,
        now=NOW,
        roles={"mentor": 120, "mentee": 150, "both": 30},
        capacity={"mentors": 150, "slots": 400, "used": 150, "free": 250},
        mentees={"mentees": 180, "matched": 150, "waiting": 30},
        pairs={"active": 100, "paused": 20, "at_risk": 20, "closed": 10},
        closures={"completed": 6, "not_a_fit": 4, "left": 3, "goals_achieved": 5, "ended_by_coordinator": 2},
        met_pairs=120,
        median_days_to_first_meeting=6.5,
        meetings={"count": 900, "pair_months": 400},
        checkin_outcomes={"met": 500, "not_yet": 200, "ignored": 200},
        sources={"algorithm": 120, "manual": 20, "choice": 10},
        flags={"not_a_fit": 4, "need_help": 3},
        waiting={"mentees": [f"U0WAIT{n:04d}" for n in range(30)], "mentors": [USER] * 20},
        goals={"set": 400, "done": 120, "pairs": 140},
        surveys={"satisfaction": 4.2, "nps": 41, "answers": 200},
    )


def _feedback() -> Any:
    from storage.models import FeedbackRequest

    return FeedbackRequest(
        id=7,
        team_id="T0MENTOR",
        pair_id=1,
        mentee_user_id=PARTNER,
        mentor_user_id=USER,
        link="https://example.com/" + "d" * (MAX_URL - 20),
        question="Q" * MAX_QUESTION,
        reply="R" * MAX_REPLY,
        status="answered",
    )


def _intro() -> Any:
    from storage.models import Introduction

    return Introduction(
        id=9, team_id="T0MENTOR", requester_id=PARTNER, partner_id=USER, target_id="U0TARGET01", reason="W" * MAX_REASON
    )


def _suggestions(n: int = 20) -> list[PersonSuggestion]:
    return [PersonSuggestion(f"U0PEER{i:04d}", 0.9, SKILLS_300[:10], "R" * MAX_REASON) for i in range(n)]


def _preview_result(pairs: int = 150, unmatched: int = 60) -> dict[str, Any]:
    factors = {name: 0.5 for name in matching.FACTOR_LABELS}
    return {
        "pairs": [
            {
                "mentee": f"U0MENTEE{i:03d}",
                "mentor": f"U0MENTOR{i:03d}",
                "score": 0.8,
                "reasons": ["R" * 300] * 3,
                "factors": factors,
            }
            for i in range(pairs)
        ],
        "unmatched": {f"U0WAIT{i:04d}": "W" * 300 for i in range(unmatched)},
        "mentor_load": {f"U0MENTOR{i:03d}": [1, 5] for i in range(pairs)},
        "mean_score": 0.8,
        "changes": {
            "added": [[f"U0A{i}", f"U0B{i}"] for i in range(40)],
            "removed": [[f"U0C{i}", f"U0D{i}"] for i in range(40)],
            "newly_unmatched": [f"U0E{i}" for i in range(40)],
        },
    }


@dataclass(frozen=True)
class Case:
    builder: str  # module.function, for the coverage check below
    surface: str  # "message", "modal", "home", "blocks" (a list of blocks sent in a message), "options"
    build: Callable[[], Any]


CASES = [
    # signup
    Case("signup.build_signup_modal", "modal", lambda: build_signup_modal(taxonomy=TAXONOMY_300, now=NOW)),
    Case(
        "signup.build_signup_modal",
        "modal",
        lambda: build_signup_modal(
            taxonomy=TAXONOMY_300, prefill=_profile(), bio="B" * signup_forms.MAX_BIO, editing=True, now=NOW
        ),
    ),
    Case("signup.build_signup_modal", "modal", lambda: build_signup_modal(taxonomy=default_taxonomy(), now=NOW)),
    Case("signup.skills_typeahead", "options", lambda: skills_typeahead("", SKILLS_300)),
    Case("signup.skills_typeahead", "options", lambda: skills_typeahead("skill 1", SKILLS_300)),
    Case("signup.timezone_typeahead", "options", lambda: timezone_typeahead("", NOW)),
    Case("signup.timezone_typeahead", "options", lambda: timezone_typeahead("a", NOW)),
    Case("signup.skills_select", "modal_element", lambda: signup.skills_select(TAXONOMY_300, initial=SKILLS_300)),
    Case("signup.build_leave_modal", "modal", signup.build_leave_modal),
    *[
        Case("signup.leave_confirmation", "message", lambda w=w: signup.leave_confirmation(was_participant=w))
        for w in (True, False)
    ],
    Case("knowledge.intro_withdrawn_message", "message", knowledge.intro_withdrawn_message),
    Case(
        "signup.signup_confirmation",
        "message",
        lambda: signup.signup_confirmation(role="both", created=True, skills=SKILLS_300, late_for=COHORT_NAME),
    ),
    Case(
        "signup.help_message", "message", lambda: signup.help_message([("x" * 60, "y" * 200)] * 60, unknown="z" * 200)
    ),
    Case("signup.leave_confirmation", "message", lambda: signup.leave_confirmation(was_participant=True)),
    Case("signup.leave_confirmation", "message", lambda: signup.leave_confirmation(was_participant=False)),
    # home
    Case("home.build_home", "view", lambda: home.build_home(profile=None)),
    Case(
        "home.build_home",
        "view",
        lambda: home.build_home(
            profile=_profile(),
            extra_blocks=[
                b
                for n in range(5)
                for b in journey.home_pair_section(
                    pair_id=n,
                    partner_id=f"U0MENTEE{n:03d}",
                    my_role="mentor",
                    status="active",
                    goals=GOALS_3,
                    goals_status="proposed",
                    next_checkin="Tuesday 3 March, 14:00",
                    meetings=40,
                    ends_on=date(2026, 9, 1),
                )
            ]
            + knowledge.people_to_meet_blocks(_suggestions())
            + knowledge.resource_suggestion_blocks(RESOURCES_20),
            coordinator=True,
        ),
    ),
    # coordinator
    Case("coordinator.stats_message", "message", lambda: coordinator.stats_message(_stats(), _stats())),
    Case(
        "coordinator.audit_message",
        "message",
        lambda: coordinator.audit_message(
            [
                SimpleNamespace(
                    created_at=NOW, actor=USER, action="a" * 60, target="t" * 200, reason="r" * 300, detail=None
                )
                for _ in range(20)
            ],
            page=3,
            more=True,
        ),
    ),
    Case(
        "coordinator.program_modal",
        "modal",
        lambda: coordinator.program_modal(
            cohort_id=1,
            name=COHORT_NAME,
            settings=__import__("bot.cohorts", fromlist=["CohortSettings"]).CohortSettings(),
            weights_text="skills = 10\n" * 80,
            skills=SKILLS_300,
        ),
    ),
    Case(
        "coordinator.signup_announcement",
        "message",
        lambda: coordinator.signup_announcement(cohort_name=COHORT_NAME, cohort_id=1, closes=date(2026, 4, 1)),
    ),
    Case(
        "coordinator.prematch_notice",
        "message",
        lambda: coordinator.prematch_notice(cohort_name=COHORT_NAME, cohort_id=1, match_date=date(2026, 4, 1)),
    ),
    Case(
        "coordinator.at_risk_blocks",
        "blocks",
        lambda: coordinator.at_risk_blocks([(_pair(n), "q" * 200) for n in range(150)]),
    ),
    Case(
        "coordinator.home_section",
        "blocks",
        lambda: coordinator.home_section(
            _stats(),
            [(_pair(n), "q" * 200) for n in range(150)],
            [
                SimpleNamespace(
                    id=n, cohort_id=n, status=RoundStatus.PREVIEW, result=_preview_result(), requested_by=USER
                )
                for n in range(5)
            ],
            cohort_names={n: COHORT_NAME for n in range(5)},
        ),
    ),
    Case("coordinator.import_modal", "modal", coordinator.import_modal),
    Case(
        "coordinator.digest_message",
        "message",
        lambda: coordinator.digest_message(
            cohort_name=COHORT_NAME,
            signups={"mentor": 100, "mentee": 150, "both": 50},
            matches=150,
            at_risk=[(_pair(n), "q" * 200) for n in range(150)],
            flags=[(n, "mentee", "not_a_fit") for n in range(150)],
            closures=[(_pair(n), NOW) for n in range(150)],
        ),
    ),
    Case("coordinator.refusal_view", "modal", coordinator.refusal_view),
    # journey
    Case("journey.pair_buttons", "blocks", lambda: [journey.pair_buttons(10**9, paused=True)]),
    Case(
        "journey.kickoff_message",
        "message",
        lambda: journey.kickoff_message(
            pair_id=1,
            mentee_id=PARTNER,
            mentor_id=USER,
            reasons=["R" * 300] * 10,
            overlap_lines=["O" * 200] * 20,
            ends_on=date(2026, 9, 1),
        ),
    ),
    Case("journey.goals_reminder_message", "message", lambda: journey.goals_reminder_message(pair_id=1)),
    Case(
        "journey.goals_proposal_message",
        "message",
        lambda: journey.goals_proposal_message(
            pair_id=1,
            revision=99,
            proposer_id=PARTNER,
            confirmer_id=USER,
            goals=GOALS_3,
            cadence="weekly",
            channel="video",
            growth_areas="A" * pair_forms.MAX_LONG,
            outcomes="O" * pair_forms.MAX_LONG,
            mentor_commits="C" * pair_forms.MAX_LONG,
            mentee_commits="D" * pair_forms.MAX_LONG,
        ),
    ),
    Case(
        "journey.goals_modal",
        "modal",
        lambda: journey.goals_modal(
            pair_id=1,
            prefill={
                "goals": GOALS_3,
                "cadence": "weekly",
                "channel": "video",
                "growth_areas": "A" * pair_forms.MAX_LONG,
                "outcomes": "O" * pair_forms.MAX_LONG,
                "mentor_commits": "C" * pair_forms.MAX_LONG,
                "mentee_commits": "D" * pair_forms.MAX_LONG,
            },
            partner_name=LONG_NAME,
        ),
    ),
    Case("journey.checkin_message", "message", lambda: journey.checkin_message(pair_id=1, text="C" * 3000)),
    Case(
        "journey.meeting_modal",
        "modal",
        lambda: journey.meeting_modal(pair_id=1, today=date(2026, 3, 2), goals=GOALS_3, prefill_date=date(2026, 3, 1)),
    ),
    Case("journey.pause_modal", "modal", lambda: journey.pause_modal(pair_id=1)),
    Case("journey.concern_modal", "modal", lambda: journey.concern_modal(pair_id=1)),
    Case("journey.rematch_offer_message", "message", lambda: journey.rematch_offer_message(pair_id=1)),
    Case("journey.fit_check_message", "message", lambda: journey.fit_check_message(pair_id=1, partner_id=PARTNER)),
    Case(
        "journey.continue_check_message",
        "message",
        lambda: journey.continue_check_message(pair_id=1, partner_id=PARTNER),
    ),
    *[
        Case(
            "journey.survey_invite_message",
            "message",
            lambda c=c: journey.survey_invite_message(pair_id=1, survey_key="s" * 40, closing=c, partner_id=PARTNER),
        )
        for c in (False, True)
    ],
    *[
        Case(
            "journey.survey_modal", "modal", lambda c=c: journey.survey_modal(pair_id=1, survey_key="s" * 40, closing=c)
        )
        for c in (False, True)
    ],
    Case("journey.milestone_message", "message", lambda: journey.milestone_message("M" * 3000)),
    Case(
        "journey.closure_message",
        "message",
        lambda: journey.closure_message(
            pair_id=1,
            meetings=99,
            minutes=9999,
            goals=GOALS_3,
            early=True,
            resources=[(r.title, r.url) for r in RESOURCES_20],
        ),
    ),
    Case("journey.reflection_modal", "modal", lambda: journey.reflection_modal(pair_id=1, partner_name=LONG_NAME)),
    Case("journey.become_mentor_message", "message", journey.become_mentor_message),
    Case(
        "journey.home_pair_section",
        "blocks",
        lambda: journey.home_pair_section(
            pair_id=1,
            partner_id=PARTNER,
            my_role="mentee",
            status="paused",
            goals=GOALS_3,
            goals_status="proposed",
            next_checkin="Tuesday 3 March, 14:00",
            meetings=99,
            ends_on=date(2026, 9, 1),
        ),
    ),
    # knowledge and networking
    Case("knowledge.intro_withdrawn_message", "message", knowledge.intro_withdrawn_message),
    Case("knowledge.share_button", "blocks", lambda: [{"type": "actions", "elements": [knowledge.share_button(1)]}]),
    Case(
        "knowledge.build_share_modal",
        "modal",
        lambda: knowledge.build_share_modal(
            taxonomy=TAXONOMY_300, pair_id=1, goals=["G" * pair_forms.MAX_TITLE] * 3, url="https://x.y/" + "u" * 1900
        ),
    ),
    Case(
        "knowledge.resource_shared_message",
        "message",
        lambda: knowledge.resource_shared_message(RESOURCES_20[0], sharer=USER, note="N" * MAX_NOTE),
    ),
    *[
        Case(
            "knowledge.resource_list_message",
            "message",
            lambda c=c: knowledge.resource_list_message(
                RESOURCES_20, skill="s" * 60, viewer=USER, coordinator=c, pair_id=1
            ),
        )
        for c in (False, True)
    ],
    Case("knowledge.resource_suggestion_blocks", "blocks", lambda: knowledge.resource_suggestion_blocks(RESOURCES_20)),
    Case("knowledge.feedback_request_message", "message", lambda: knowledge.feedback_request_message(_feedback())),
    Case("knowledge.feedback_answered_message", "message", lambda: knowledge.feedback_answered_message(_feedback())),
    Case("knowledge.feedback_reply_modal", "modal", lambda: knowledge.feedback_reply_modal(_feedback())),
    Case(
        "knowledge.feedback_reply_message",
        "message",
        lambda: knowledge.feedback_reply_message(_feedback(), "R" * MAX_REPLY),
    ),
    Case("knowledge.intro_ask_message", "message", lambda: knowledge.intro_ask_message(_intro())),
    *[
        Case("knowledge.intro_answered_message", "message", lambda a=a: knowledge.intro_answered_message(accepted=a))
        for a in (True, False)
    ],
    Case("knowledge.intro_group_message", "message", lambda: knowledge.intro_group_message(_intro(), SKILLS_300[:50])),
    Case("knowledge.people_to_meet_blocks", "blocks", lambda: knowledge.people_to_meet_blocks(_suggestions())),
    Case("knowledge.people_to_meet_message", "message", lambda: knowledge.people_to_meet_message(_suggestions())),
    Case("knowledge.alumni_invite_blocks", "blocks", lambda: knowledge.alumni_invite_blocks(10**9)),
    # matching
    *[
        Case(
            "matching.build_running_modal",
            "modal",
            lambda r=r: matching.build_running_modal(people=20_000, rerun=r),
        )
        for r in (False, True)
    ],
    *[
        Case(
            "matching.build_preview_modal",
            "modal",
            lambda page=page, tab=tab, flt=flt: matching.build_preview_modal(
                data=matching.PreviewData(
                    round_id=10**6,
                    revision=99,
                    cohort=COHORT_NAME,
                    result=_preview_result(),
                    rules=[
                        matching.RuleLine(
                            10**6 + i, "pin" if i % 2 else "forbid", f"U0MENTEE{i:03d}", f"U0MENTOR{i:03d}", USER
                        )
                        for i in range(200)
                    ],
                    rules_pending=True,
                ),
                state=matching.PreviewState(tab=tab, filter=flt, page=page),
            ),
        )
        for page in (0, 5, 99)
        for tab in matching.TABS
        for flt in ("all", "weak")
    ],
    Case("matching.build_published_modal", "modal", lambda: matching.build_published_modal(pairs=9999, unmatched=999)),
    Case("matching.build_refusal_modal", "modal", lambda: matching.build_refusal_modal("N" * 3000)),
    Case(
        "matching.preview_ready_message",
        "message",
        lambda: matching.preview_ready_message(round_id=10**6, pairs=9999, unmatched=999, mean=0.8),
    ),
    Case("matching.unmatched_message", "message", lambda: matching.unmatched_message("U" * 500)),
    Case(
        "matching.choice_offer_message",
        "message",
        lambda: matching.choice_offer_message(
            [
                {"mentor": f"U0MENTOR{i:03d}", "score": 0.9, "reasons": ["R" * 300] * 3, "request_id": i}
                for i in range(3)
            ],
            days=30,
            deadline="Wednesday 30 September",
        ),
    ),
    Case(
        "matching.choice_request_message",
        "message",
        lambda: matching.choice_request_message(
            mentee=PARTNER, reasons=["R" * 300] * 5, request_id=10**9, days=30, deadline="Wednesday 30 September"
        ),
    ),
    # reasons as data, worded per reader, at their longest: every skill and every window of the week
    Case(
        "matching.choice_request_message",
        "message",
        lambda: matching.choice_request_message(
            mentee=PARTNER, reasons=REASONS_AT_LIMITS, request_id=1, days=30, deadline="Friday 6 March"
        ),
    ),
    Case(
        "journey.kickoff_message",
        "message",
        lambda: journey.kickoff_message(
            pair_id=10**9,
            mentee_id=USER,
            mentor_id=PARTNER,
            reasons=REASONS_AT_LIMITS,
            overlap_lines=["• " + "Mon/Tue/Wed/Thu/Fri 07:00-19:00, " * 5] * 2,
            ends_on=date(2026, 9, 1),
        ),
    ),
    *[
        Case("matching.unmatched_message", "message", lambda code=code: matching.unmatched_message(code))
        for code in ("availability:40", "language", "capacity", "score_floor")
    ],
    # the seams: a program with dates long past, HR facts on the profile form, the import report, shares
    Case(
        "coordinator.program_modal",
        "modal",
        lambda: coordinator.program_modal(
            cohort_id=1,
            name=COHORT_NAME,
            settings=__import__("bot.cohorts", fromlist=["CohortSettings"]).CohortSettings(),
            weights_text="skills = 10\n" * 80,
            skills=SKILLS_300,
            past=[(label, date(2000, 1, 1)) for label in ("Signup opens", "Signup closes", "Match", "Start")],
            today=NOW.date(),
        ),
    ),
    Case(
        "signup.build_signup_modal",
        "modal",
        lambda: build_signup_modal(
            taxonomy=TAXONOMY_300,
            now=NOW,
            locked={"department": "d" * 100, "industry": "i" * 100, "seniority": "principal"},
        ),
    ),
    Case("signup.signup_not_open_modal", "modal", lambda: signup.signup_not_open_modal("S" * 2900)),
    Case(
        "coordinator.import_report_message",
        "message",
        lambda: coordinator.import_report_message(
            "Nothing is imported yet: 4,000 rows have problems.\n" + "line 9999: " + "x" * 200 + "\n" * 4000,
            import_id=10**9,
            rows=100_000,
        ),
    ),
    Case("coordinator.import_report_message", "message", lambda: coordinator.import_report_message("Done.")),
    *[
        Case("signup.leave_confirmation", "message", lambda w=w: signup.leave_confirmation(was_participant=w))
        for w in (True, False)
    ],
    Case("knowledge.intro_withdrawn_message", "message", knowledge.intro_withdrawn_message),
    Case(
        "knowledge.share_outcome_text",
        "message",
        lambda: {"text": knowledge.share_outcome_text(RESOURCES_20[0], created=False, counted=False)},
    ),
]

# pair control (/mentor pairs)
_BULK = [
    SimpleNamespace(pair_id=10**9 + n, version=10**6, mentee=f"U0MENTEE{n:03d}", mentor=USER, weeks=52)
    for n in range(100)
]
CASES += [
    Case(
        "matching.build_replaced_modal",
        "modal",
        lambda: matching.build_replaced_modal(latest_round=10**9, text="T" * 2900),
    ),
    Case("matching.build_replaced_modal", "modal", lambda: matching.build_replaced_modal(latest_round=None)),
    Case(
        "matching.build_publish_failed_modal",
        "modal",
        lambda: matching.build_publish_failed_modal(error="E" * 2000, round_id=10**9),
    ),
    *[
        Case(
            "matching.cohort_choice_message",
            "message",
            lambda purpose=purpose: matching.cohort_choice_message(
                purpose=purpose,
                cohorts=[(10**9 + n, COHORT_NAME, CohortStatus.MATCHING) for n in range(40)],
                extra_all=True,
                comments=True,
            ),
        )
        for purpose in ("match", "stats", "export")
    ],
    Case(
        "journey.which_pair_message",
        "message",
        lambda: journey.which_pair_message(
            action_id=ids.HOME_PAIR_MEET,
            doing="find a time",
            options=[
                (10**9 + n, f"U0PARTNER{n:02d}", PairRole.MENTOR if n % 2 else PairRole.MENTEE) for n in range(40)
            ],
        ),
    ),
    Case(
        "coordinator.reflections_message",
        "message",
        lambda: coordinator.reflections_message(
            cohort_name=COHORT_NAME,
            rows=[
                {"pair_id": 10**9 + n, "role": "mentee", "achieved": "A" * 2000, "learned": "L" * 2000}
                for n in range(200)
            ],
        ),
    ),
    Case(
        "coordinator.reflections_message",
        "message",
        lambda: coordinator.reflections_message(cohort_name=COHORT_NAME, rows=[]),
    ),
]
CASES += [
    Case(
        "pairs.list_modal",
        "modal",
        lambda: pairs.list_modal(
            rows=[(_pair(10**9 + n), _pair_facts()) for n in range(pairs.PER_PAGE)],
            title=f"Pairs of {COHORT_NAME}",
            page=10**4,
            total=10**6,
            filter_meta={"filter": "cohort", "cohort": 10**9, "name": COHORT_NAME},
            now=NOW,
            bulk=True,
        ),
    ),
    *[
        Case("pairs.card_modal", "modal", lambda s=s: pairs.card_modal(_pair_card(s), notice="N" * 400))
        for s in ("active", "paused", "at_risk", "closed")
    ],
    Case("pairs.end_modal", "modal", lambda: pairs.end_modal(_pair(10**9))),
    Case(
        "pairs.rematch_modal",
        "modal",
        lambda: pairs.rematch_modal(
            _pair(10**9), _proposal(), names={f"U0CANDIDAT{n}": LONG_NAME for n in range(3)}, notice="N" * 400
        ),
    ),
    Case(
        "pairs.rematch_modal",
        "modal",
        lambda: pairs.rematch_modal(_pair(10**9), SimpleNamespace(candidates=[], reason="N" * 300)),
    ),
    Case("pairs.reassign_modal", "modal", lambda: pairs.reassign_modal(_pair(10**9))),
    Case("pairs.pause_modal", "modal", lambda: pairs.pause_modal(_pair(10**9))),
    Case("pairs.resume_modal", "modal", lambda: pairs.resume_modal(_pair(10**9))),
    Case("pairs.extend_modal", "modal", lambda: pairs.extend_modal(_pair(10**9), date(2027, 1, 31))),
    Case("pairs.message_modal", "modal", lambda: pairs.message_modal(_pair(10**9))),
    Case("pairs.nudge_modal", "modal", lambda: pairs.nudge_modal(_pair(10**9), [USER, PARTNER])),
    Case("pairs.result_view", "modal", lambda: pairs.result_view("D" * 2900)),
    Case("pairs.problem_view", "modal", lambda: pairs.problem_view("P" * 2900)),
    Case("pairs.problem_view", "modal", lambda: pairs.problem_view("P" * 2900, _pair_card())),
    Case("pairs.bulk_nudge_confirm", "modal", lambda: pairs.bulk_nudge_confirm(_BULK)),
    Case("pairs.bulk_end_ask", "modal", lambda: pairs.bulk_end_ask(52)),
    Case("pairs.bulk_end_confirm", "modal", lambda: pairs.bulk_end_confirm(_BULK, 52)),
    *[
        Case(
            "pairs.ended_message",
            "message",
            lambda r=r, m=m: pairs.ended_message(
                reason=r,
                reader_is_mentee=m,
                partner_id=PARTNER,
                new_mentor=USER,
                mentee_next="new_mentor",
                place_free=True,
            ),
        )
        for r in pairs.END_CHOICES
        for m in (True, False)
    ],
    Case("pairs.closing_survey_message", "message", lambda: pairs.closing_survey_message(10**9, PARTNER)),
    Case("pairs.completed_pair_message", "message", lambda: pairs.completed_pair_message(10**9)),
    Case("pairs.become_mentor_message", "message", pairs.become_mentor_message),
    Case("pairs.extended_message", "message", lambda: pairs.extended_message(months=12, ends=date(2027, 12, 31))),
    Case("pairs.coordinator_message", "message", lambda: pairs.coordinator_message(USER, "<&>\n" * 500)),
    Case("pairs.nudge_message", "message", lambda: pairs.nudge_message(PARTNER, mentee=True)),
    Case("pairs.talk_first_message", "message", lambda: pairs.talk_first_message(USER)),
    Case("pairs.withdrawn_message", "message", lambda: pairs.withdrawn_message(PARTNER)),
    Case("pairs.continues_message", "message", lambda: pairs.continues_message(PARTNER)),
    Case(
        "pairs.inactive_notice_message",
        "message",
        lambda: pairs.inactive_notice_message(pair_id=10**9, partner_id=PARTNER, weeks=52, closes=NOW),
    ),
    Case(
        "pairs.auto_rematch_reporter_message",
        "message",
        lambda: pairs.auto_rematch_reporter_message(_pair(10**9), f"U0MENTEE{10**9:03d}", _pair(10**9 + 1)),
    ),
    Case(
        "pairs.concern_note",
        "message",
        lambda: pairs.concern_note(_pair(10**9), raised_by=USER, role="mentor", what="W" * 100, text="<&>" * 1000),
    ),
    Case("pairs.silent_note", "message", lambda: pairs.silent_note(_pair(10**9), "S" * 2900)),
    Case(
        "pairs.auto_rematch_note",
        "message",
        lambda: pairs.auto_rematch_note(
            _pair(10**9), new_pair=_pair(10**9 + 1), said_role="mentee", said_by=PARTNER, reason="R" * 300, until=NOW
        ),
    ),
    Case("pairs.auto_closed_note", "message", lambda: pairs.auto_closed_note(_pair(10**9), 52)),
    Case(
        "pairs.place_offer_note",
        "message",
        lambda: pairs.place_offer_note(
            mentor_id=USER,
            mentee_id=PARTNER,
            cohort_id=10**9,
            since=NOW - timedelta(days=900),
            score=_proposal().candidates[0].score,
            now=NOW,
        ),
    ),
    Case(
        "pairs.place_filled_note",
        "message",
        lambda: pairs.place_filled_note(mentor_id=USER, mentee_id=PARTNER, since=NOW, now=NOW, automatic=False),
    ),
]

# Helpers that build a piece of a surface (a line, an option) rather than something sent on their own.
_SLOT = meet.slot_line(
    datetime(2026, 3, 3, 23, 30, tzinfo=UTC),
    [meet.Reader("U" + "A" * 20, "America/Argentina/ComodRivadavia"), meet.Reader("U" + "B" * 20, "Asia/Kathmandu")],
    end=datetime(2026, 3, 4, 1, 30, tzinfo=UTC),
)
_LONG_URL = "https://calendar.google.com/calendar/render?" + "d" * 2900
CASES += [
    Case(
        "meet.proposal_message",
        "message",
        lambda: meet.proposal_message(
            pair_id=10**9,
            proposal_id=10**9,
            lines=[_SLOT] * 3,
            duration_minutes=120,
            channel="in_person",
            intro="I" * 200,
        ),
    ),
    Case(
        "meet.proposal_message",
        "message",
        lambda: meet.proposal_message(
            pair_id=1, proposal_id=1, lines=[], duration_minutes=30, channel="video", intro="I" * 200
        ),
    ),
    Case(
        "meet.picked_message",
        "message",
        lambda: meet.picked_message(
            pair_id=10**9, proposal_id=10**9, index=2, line=_SLOT, picker="U" + "A" * 20, other="U" + "B" * 20
        ),
    ),
    Case("meet.settled_message", "message", lambda: meet.settled_message("S" * 2900)),
    Case(
        "meet.booked_message",
        "message",
        lambda: meet.booked_message(
            pair_id=10**9,
            booking_id=10**9,
            line=_SLOT,
            duration_minutes=120,
            channel="chat",
            google_url=_LONG_URL,
            outlook_url=_LONG_URL,
            moved=True,
        ),
    ),
    Case("meet.cancelled_message", "message", lambda: meet.cancelled_message(line=_SLOT, by="U" + "C" * 20)),
    Case(
        "meet.reminder_message",
        "message",
        lambda: meet.reminder_message(
            partner_id="U" + "P" * 20,
            local_start=datetime(2026, 3, 3, 9, tzinfo=UTC),
            duration_minutes=120,
            same_day=False,
        ),
    ),
    Case(
        "meet.followup_message", "message", lambda: meet.followup_message(pair_id=10**9, booking_id=10**9, line=_SLOT)
    ),
    Case(
        "meet.away_list_message",
        "message",
        lambda: meet.away_list_message([(10**9 + n, date(2027, 1, 1), date(2027, 12, 31)) for n in range(40)]),
    ),
]


NOT_SENT_ALONE = {
    "meet.city",
    "meet.slot_line",
    "pairs.counted",
    "pairs.pair_words",
    "pairs.token",
    "pairs.list_row",
    "pairs.card_blocks",
    "pairs.card_actions",
    "signup.skill_option",
    "signup.timezone_option",
    "signup.uses_typeahead",
    "coordinator.pair_line",
    "coordinator.skills_boxes",
    "journey.goals_summary_lines",
    # words and predicates other builders put into their blocks
    "journey.every_text",
    "journey.months_text",
    "journey.first_agenda",
    "matching.plural",
    "matching.factor_sum_line",
    "matching.pair_matches",
    "matching.filtered_pairs",
    "coordinator.describe_audit",
}


@pytest.fixture
def client(sandbox: SlackSandbox) -> Iterator[WebClient]:
    sandbox.add_user(USER, name="maximiliana", real_name=LONG_NAME[:80], tz="Europe/Berlin")
    yield WebClient(base_url=sandbox.url, token="xoxb-limits", timeout=10)


def _send(sandbox: SlackSandbox, client: WebClient, surface: str, payload: Any) -> None:
    from bot.sandbox import validation

    if surface == "message":
        client.chat_postMessage(channel=USER, **payload)
    elif surface == "blocks":
        client.chat_postMessage(channel=USER, text="fallback", blocks=payload)
    elif surface == "modal":
        client.views_open(trigger_id="limits.1", view=payload)
    elif surface == "modal_element":
        block = {"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "x"}, "element": payload}
        client.views_open(
            trigger_id="limits.2",
            view={
                "type": "modal",
                "title": {"type": "plain_text", "text": "x"},
                "submit": {"type": "plain_text", "text": "Go"},
                "blocks": [block],
            },
        )
    elif surface == "view":
        client.views_publish(user_id=USER, view=payload)
    elif surface == "options":
        assert validation.check_options_response(payload) == [], validation.check_options_response(payload)[:3]
    else:
        raise AssertionError(surface)


@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{c.builder}" for n, c in enumerate(CASES)])
def test_builder_at_its_limits_passes_the_strict_stand_in(sandbox: SlackSandbox, client: WebClient, case: Case) -> None:
    _send(sandbox, client, case.surface, case.build())
    assert sandbox.invalid_calls == []


def test_every_builder_in_bot_views_is_exercised_at_its_limits() -> None:
    covered = {c.builder for c in CASES}
    public = set()
    for name in ("signup", "coordinator", "home", "journey", "knowledge", "matching", "meet", "pairs"):
        module = importlib.import_module(f"bot.views.{name}")
        public |= {
            f"{name}.{fn}"
            for fn, obj in inspect.getmembers(module, inspect.isfunction)
            if obj.__module__ == module.__name__ and not fn.startswith("_")
        }
    assert public - covered - NOT_SENT_ALONE == set()


def test_a_300_skill_cohort_gets_type_ahead_not_an_oversized_menu() -> None:
    view = build_signup_modal(taxonomy=TAXONOMY_300, now=NOW)
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert uses_typeahead(TAXONOMY_300)
    for block_id in (signup.ids.SKILLS_OFFERED, signup.ids.SKILLS_WANTED):
        assert elements[block_id]["type"] == "multi_external_select"
        assert elements[block_id]["action_id"] == signup.ids.SKILL_SEARCH
    small = build_signup_modal(taxonomy=default_taxonomy(), now=NOW)
    small_elements = {b["block_id"]: b["element"] for b in small["blocks"] if b["type"] == "input"}
    assert small_elements[signup.ids.SKILLS_OFFERED]["type"] == "multi_static_select"
    assert all(len(g["options"]) <= 100 for g in small_elements[signup.ids.SKILLS_OFFERED]["option_groups"])


def test_skills_type_ahead_ranks_prefix_then_word_matches_and_stops_at_100() -> None:
    skills = ("data engineering", "big data", "metadata design", "database tuning", "design systems")
    ranked = [o["value"] for o in skills_typeahead("data", skills)["options"]]
    assert ranked == ["data engineering", "database tuning", "big data", "metadata design"]
    assert len(skills_typeahead("", SKILLS_300)["options"]) == 100
    assert [o["value"] for o in skills_typeahead("skill 299", SKILLS_300)["options"]] == [SKILLS_300[299]]


def test_timezone_type_ahead_finds_cities_and_offsets_with_the_local_time() -> None:
    options = timezone_typeahead("munich", NOW)["options"]
    assert options[0] == {
        "text": {"type": "plain_text", "text": "Europe/Berlin (UTC+1, now 14:05)", "emoji": True},
        "value": "Europe/Berlin",
    }
    assert timezone_typeahead("new york", NOW)["options"][0]["value"] == "America/New_York"
    kolkata = [o["value"] for o in timezone_typeahead("utc+5:30", NOW)["options"]]
    assert "Asia/Kolkata" in kolkata and all(
        "UTC+5:30" in o["text"]["text"] for o in timezone_typeahead("+5:30", NOW)["options"]
    )
    assert len(timezone_typeahead("", NOW)["options"]) == 100


def test_long_lists_end_with_and_n_more_instead_of_a_cut_or_a_refusal() -> None:
    digest = coordinator.digest_message(
        cohort_name=COHORT_NAME,
        signups={"mentee": 150},
        matches=150,
        at_risk=[(_pair(n), "quiet for 3 weeks") for n in range(150)],
        flags=[],
        closures=[],
    )
    risk = next(b["text"]["text"] for b in digest["blocks"] if "Pairs at risk" in b.get("text", {}).get("text", ""))
    assert risk.count("\n• ") == 15 and risk.endswith("…and 135 more")
    listing = knowledge.resource_list_message(RESOURCES_20, skill="", viewer=USER, coordinator=False)
    assert "…and 5 more" in str(listing["blocks"])
    (library, _) = knowledge.resource_suggestion_blocks(RESOURCES_20)
    text = library["text"]["text"]
    assert len(text) <= 3000 and text.count("<") == text.count(">")  # whole links only
    assert text.endswith(f"…and {20 - text.count('<https')} more")
