"""Learning from outcomes, pure parts: labels, grouped folds, intervals, the model's scoring paths, recovery."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.matching import MatchSettings, Weights, plan_round, score
from bot.matching.features import FACTOR_NAMES, batch_values, default_totals
from bot.matching.learn import (
    _tie_tables,
    auc,
    check_enough,
    cluster_auc,
    cross_validate,
    fit,
    person_folds,
    weighted_auc,
)
from bot.matching.matrix import score_matrix
from bot.matching.model import ModelFileError, PairModel
from bot.outcomes import OutcomeFacts, label_outcome
from bot.sandbox.outcomes import simulate_programs, true_probability
from bot.sandbox.people import generate_people
from bot.views.reasons import Reader, reason_lines
from storage.vocab import CloseReason, Outcome, PairStatus

WEEK = date(2025, 5, 14)
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


# ---------------------------------------------------------------------- labels


def _closed(**changes: object) -> OutcomeFacts:
    base = OutcomeFacts(
        status=PairStatus.CLOSED,
        close_reason=CloseReason.COMPLETED,
        started_at=T0,
        closed_at=T0 + timedelta(days=84),
        meetings=5,
        cadence_days=14,
        satisfaction=(5, 4),
        last_activity_at=T0 + timedelta(days=80),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (_closed(), Outcome.GOOD),  # 84 days biweekly asks for 6, three quarters is 4: 5 meetings, happy
        (_closed(meetings=3), Outcome.UNLABELLED),  # too few meetings for the agreed cadence
        (_closed(satisfaction=(5, 3)), Outcome.UNLABELLED),  # one person only lukewarm
        (_closed(satisfaction=()), Outcome.UNLABELLED),  # nobody rated it
        (_closed(close_reason=CloseReason.INFORMAL), Outcome.GOOD),
        (_closed(not_a_fit=True, satisfaction=(2,)), Outcome.POOR),
        (_closed(not_a_fit=True), Outcome.UNLABELLED),  # evidence both ways
        (_closed(meetings=0, satisfaction=()), Outcome.POOR),  # silent and ended
        (_closed(silent_stage=2, satisfaction=(3,), meetings=1), Outcome.POOR),
        (
            _closed(
                close_reason=CloseReason.COORDINATOR_END, satisfaction=(), last_activity_at=T0 + timedelta(days=50)
            ),
            Outcome.POOR,  # ended by a coordinator after 34 quiet days
        ),
        (
            _closed(
                close_reason=CloseReason.COORDINATOR_END, satisfaction=(), last_activity_at=T0 + timedelta(days=80)
            ),
            Outcome.UNLABELLED,  # ended by a coordinator for another reason
        ),
        (_closed(close_reason=CloseReason.LEFT_PROGRAM, meetings=0), Outcome.UNLABELLED),
        (_closed(status=PairStatus.ACTIVE), Outcome.UNLABELLED),
    ],
)
def test_outcome_labels_follow_the_definition(facts: OutcomeFacts, expected: Outcome) -> None:
    assert label_outcome(facts).outcome == expected


# ---------------------------------------------------------------------- refusal, folds, AUC


def test_refusal_names_what_is_missing_in_one_line() -> None:
    assert check_enough(np.array([1] * 170 + [0] * 30)) is None
    few = check_enough(np.array([1] * 150 + [0] * 49))
    assert few is not None and "199 labelled pairs (need at least 200)" in few and "\n" not in few
    lopsided = check_enough(np.array([1] * 280 + [0] * 20))
    assert lopsided is not None and "20 poor (need at least 30)" in lopsided and "labelled" not in lopsided


@settings(max_examples=60, deadline=None)
@given(
    edges=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=5, max_size=120),
    k=st.integers(2, 6),
    seed=st.integers(0, 5),
)
def test_folds_never_put_a_person_in_train_and_test(edges: list[tuple[int, int]], k: int, seed: int) -> None:
    # people 0..40; "both" people appear as mentee in one pair and mentor in another
    mentees = [f"U{a}" for a, b in edges]
    mentors = [f"U{b}" for a, b in edges]
    folds = person_folds(mentees, mentors, k=k, seed=seed)
    tested = np.zeros(len(edges), dtype=int)
    for f in range(k):
        train, test = folds.split(f)
        tested[test] += 1
        train_people = {mentees[i] for i in train} | {mentors[i] for i in train}
        test_people = {mentees[i] for i in test} | {mentors[i] for i in test}
        assert not train_people & test_people
    assert tested.max(initial=0) <= 1
    # a pair is tested exactly when its two people share a fold
    same = np.array([folds.person_fold[a] == folds.person_fold[b] for a, b in zip(mentees, mentors, strict=True)])
    assert np.array_equal(tested == 1, same)


def test_folds_keep_small_groups_whole_and_balanced() -> None:
    # 60 mentors with 1-3 mentees each: every group fits in a fold, so every pair is tested
    mentees, mentors = [], []
    for m in range(60):
        for e in range(1 + m % 3):
            mentees.append(f"E{m}-{e}")
            mentors.append(f"M{m}")
    folds = person_folds(mentees, mentors, k=5, seed=1)
    assert (folds.fold >= 0).all()
    sizes = np.bincount(folds.fold, minlength=5)
    assert sizes.max() - sizes.min() <= 3


def test_weighted_auc_matches_the_pairwise_definition() -> None:
    rng = np.random.default_rng(3)
    scores = np.round(rng.random(300), 1)  # many ties
    outcome = (rng.random(300) < 0.4).astype(int)
    pos, neg = scores[outcome == 1], scores[outcome == 0]
    pairwise = ((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])).mean()
    assert auc(scores, outcome) == pytest.approx(pairwise)
    weights = rng.integers(0, 3, size=(4, 300)).astype(float)
    for row, w in zip(weighted_auc(scores, outcome, weights), weights, strict=True):
        wp, wn = w[outcome == 1], w[outcome == 0]
        pairwise = (
            wp[:, None] * wn[None, :] * ((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))
        ).sum()
        assert row == pytest.approx(pairwise / (wp.sum() * wn.sum()))


def test_cluster_bootstrap_auc_equals_the_weighted_definition() -> None:
    rng = np.random.default_rng(5)
    scores = np.round(rng.random(400), 2)
    outcome = (rng.random(400) < 0.5).astype(int)
    clusters = rng.integers(0, 60, 400)
    counts = rng.integers(0, 3, size=(7, 60))
    fast = cluster_auc(_tie_tables(scores, outcome, clusters, 60), counts)
    assert np.allclose(fast, weighted_auc(scores, outcome, counts[:, clusters].astype(float)))


def test_cross_validation_is_grouped_and_honest_about_person_effects() -> None:
    # The outcome depends only on a hidden quality of each mentor, and each mentor has their own topic count.
    # Folds that split a mentor's pairs between train and test let the model learn "this mentor is good"
    # and look predictive; grouped by person, the mentor is never seen in training and the truth shows.
    rng = np.random.default_rng(0)
    n_mentors, per = 13, 30
    quality = rng.random(n_mentors) < 0.5
    values = np.zeros((n_mentors * per, len(FACTOR_NAMES)))
    mentees, mentors, outcome = [], [], []
    for m in range(n_mentors):
        for e in range(per):
            row = m * per + e
            values[row, FACTOR_NAMES.index("mentor_topics")] = m
            values[row, FACTOR_NAMES.index("skills")] = rng.random()
            mentees.append(f"E{row}")
            mentors.append(f"M{m}")
            outcome.append(int(quality[m] if rng.random() < 0.85 else not quality[m]))
    y = np.array(outcome)
    grouped = cross_validate(values, y, mentees, mentors, folds=5, seed=0, resamples=300)
    assert grouped.tested == len(y)
    rows = rng.permutation(len(y))
    leaky = np.zeros(len(y))
    for f in range(5):
        test = rows[f::5]
        train = np.setdiff1d(rows, test)
        leaky[test] = fit(values[train], y[train]).predict(values[test])
    assert auc(leaky, y) > 0.7  # what an evaluation that ignores people would report
    assert grouped.model.low < 0.5  # grouped by person: not distinguishable from chance


# ---------------------------------------------------------------------- the model's scoring paths


@pytest.fixture(scope="module")
def trained() -> tuple[PairModel, object]:
    sim = simulate_programs(1200, seed=11, people_per_program=300)
    return fit(sim.values, sim.outcome), sim


def test_vectorised_model_scores_equal_the_scalar_ones(trained: tuple[PairModel, object]) -> None:
    model, _ = trained
    people = generate_people(260, seed=4)
    mentees = [p for p in people if p.is_mentee]
    mentors = [p for p in people if p.is_mentor]
    matrix = score_matrix(mentees, mentors, Weights(), MatchSettings(), week_of=WEEK, model=model)
    for i in range(0, len(mentees), 5):
        for j in range(0, len(mentors), 3):
            scalar = score(mentees[i], mentors[j], Weights(), week_of=WEEK, model=model)
            assert abs(float(matrix.total[i, j]) - scalar.total) < 2e-6
    values = batch_values(mentees[:20], mentors[:20], week_of=WEEK)
    assert np.allclose(model.predict(values), [matrix.total[k, k] for k in range(20)], atol=2e-6)


def test_a_round_with_a_model_keeps_constraints_and_reasons(trained: tuple[PairModel, object]) -> None:
    model, _ = trained
    people = generate_people(160, seed=9)
    mentees = [p for p in people if p.is_mentee]
    mentors = [p for p in people if p.is_mentor]
    result = plan_round(mentees, mentors, weights=Weights(), settings=MatchSettings(), week_of=WEEK, model=model)
    by_id = {p.user_id: p for p in people}
    assert result.pairs
    for pair in result.pairs:
        mentee, mentor = by_id[pair.mentee_id], by_id[pair.mentor_id]
        assert set(mentee.languages) & set(mentor.languages)  # hard constraint kept
        assert pair.score.total >= MatchSettings().score_floor
        assert set(pair.score.factors) == set(FACTOR_NAMES)
    assert any(isinstance(r, dict) and r.get("strong") for p in result.pairs for r in p.score.reasons)
    worded = [line for p in result.pairs for line in reason_lines(p.score.reasons, reader=Reader.COORDINATOR)]
    assert any(line.endswith("(strong in this program)") for line in worded)
    loads: dict[str, int] = {}
    for pair in result.pairs:
        loads[pair.mentor_id] = loads.get(pair.mentor_id, 0) + 1
    assert all(loads[m] <= by_id[m].capacity for m in loads)


def test_model_file_round_trips_and_rejects_bad_files(trained: tuple[PairModel, object]) -> None:
    model, sim = trained
    again = PairModel.loads(model.dumps())
    assert np.allclose(again.predict(sim.values[:50]), model.predict(sim.values[:50]))  # type: ignore[attr-defined]
    with pytest.raises(ModelFileError, match="not JSON"):
        PairModel.loads("{nope")
    with pytest.raises(ModelFileError, match="not a mentorbot model"):
        PairModel.loads('{"format": "other"}')
    data = model.to_json()
    data["factors"][0]["name"] = "charisma"
    with pytest.raises(ModelFileError, match="unknown factor 'charisma'"):
        PairModel.from_json(data)


def test_effects_are_described_in_words(trained: tuple[PairModel, object]) -> None:
    model, _ = trained
    effects = {e.factor: e for e in model.effects()}
    assert effects["skills"].strength in ("strong", "moderate")
    assert "more is better" in effects["skills"].sentence
    assert effects["department"].sentence.startswith("same department")
    assert effects["interests"].strength in ("none", "slight")  # the hidden truth ignores interests
    assert model.shapes["skills"].p_value < 1e-6  # a real, strong effect is not mistaken for noise


def test_noise_is_reported_as_uncertain_or_not_mattering(trained: tuple[PairModel, object]) -> None:
    _, sim = trained
    noise = np.random.default_rng(1).integers(0, 2, len(sim.outcome))  # type: ignore[attr-defined]
    model = fit(sim.values, noise)  # type: ignore[attr-defined]
    for effect in model.effects():
        assert effect.strength == "none" or "uncertain" in effect.sentence or model.shapes[effect.factor].p_value < 0.05
    assert sum(s.p_value < 0.05 for s in model.shapes.values()) <= 2  # about 5% of 13 factors by chance
    assert not model.strong_reasons()  # nothing is called "strong in this program" on noise


# ---------------------------------------------------------------------- recovery of the hidden truth


def test_learning_recovers_the_hidden_truth_from_2000_outcomes() -> None:
    train = simulate_programs(2000, seed=21)
    holdout = simulate_programs(4000, seed=22)
    model = fit(train.values, train.outcome)
    oracle = auc(holdout.probability, holdout.outcome)
    learned = auc(model.predict(holdout.values), holdout.outcome)
    default = auc(default_totals(holdout.values, Weights()), holdout.outcome)
    assert oracle - learned <= 0.02, (oracle, learned)
    assert learned > default + 0.02  # the truth differs from the default weights, and learning finds it
    assert np.allclose(true_probability(holdout.values), holdout.probability)


def test_learning_is_deterministic_for_a_seed() -> None:
    sim = simulate_programs(400, seed=5, people_per_program=300)
    runs = [
        cross_validate(sim.values, sim.outcome, sim.mentee_keys, sim.mentor_keys, seed=3, resamples=200)
        for _ in range(2)
    ]
    assert runs[0].to_json() == runs[1].to_json()
    assert fit(sim.values, sim.outcome).to_json() == fit(sim.values, sim.outcome).to_json()


# ---------------------------------------------------------------------- the facts, on SQLite and PostgreSQL


def test_labelling_queries_on_both_databases(engine: object) -> None:
    """The labeller's column queries (joins, a JSON field read in SQL) on a real engine. Rows are written by
    hand here because only the query is under test; the scenario test drives the same facts through Slack."""
    from sqlmodel import Session

    from bot.outcomes import count_outcomes, labelled_pairs, snapshot_rows
    from storage.models import Cohort, Meeting, Pair, PairJourney, PrivateAnswer
    from storage.vocab import AnswerKind, FitAnswer, PairRole

    people = generate_people(12, seed=2)
    mentee, mentor = next(p for p in people if p.is_mentee), next(p for p in people if p.is_mentor)
    with Session(engine) as session:  # type: ignore[arg-type]
        cohort = Cohort(team_id="T1", name="Spring", settings={})
        session.add(cohort)
        session.flush()
        pairs = []
        for k, (reason, fit, satisfaction) in enumerate(
            [(CloseReason.COMPLETED, FitAnswer.GOOD, 5), (CloseReason.COORDINATOR_END, FitAnswer.NOT, None)]
        ):
            pair = Pair(
                team_id="T1",
                cohort_id=cohort.id,
                mentee_user_id=f"U0E{k}",
                mentor_user_id=f"U0M{k}",
                status=PairStatus.CLOSED,
                close_reason=reason,
                created_at=T0,
                closed_at=T0 + timedelta(days=30),
            )
            session.add(pair)
            session.flush()
            pairs.append(pair)
            session.add(PairJourney(team_id="T1", pair_id=pair.id, started_at=T0, ends_at=T0 + timedelta(days=180)))
            session.add(Meeting(team_id="T1", pair_id=pair.id, logged_by=f"U0E{k}", met_on=T0 + timedelta(days=3)))
            session.add(
                PrivateAnswer(
                    team_id="T1",
                    pair_id=pair.id,
                    respondent_user_id=f"U0E{k}",
                    respondent_role=PairRole.MENTEE,
                    kind=AnswerKind.FIT,
                    survey_key="fit",
                    answers={"fit": fit},
                    submitted_at=T0 + timedelta(days=4),
                )
            )
            if satisfaction:
                for who in (f"U0E{k}", f"U0M{k}"):
                    session.add(
                        PrivateAnswer(
                            team_id="T1",
                            pair_id=pair.id,
                            respondent_user_id=who,
                            respondent_role=PairRole.MENTEE if who.startswith("U0E") else PairRole.MENTOR,
                            kind=AnswerKind.CLOSING,
                            survey_key="closing",
                            satisfaction=satisfaction,
                            submitted_at=T0 + timedelta(days=30),
                        )
                    )
            for row in snapshot_rows(team_id="T1", pair_id=int(pair.id or 0), mentee=mentee, mentor=mentor, now=T0):
                session.add(row)
        session.commit()
        counted = labelled_pairs(session=session, team_id="T1", with_profiles=False)
        full = labelled_pairs(session=session, team_id="T1", cohort_id=cohort.id)
    assert [i.label.outcome for i in full] == [Outcome.GOOD, Outcome.POOR]
    assert "said not a fit" in full[1].label.why
    assert [i.label.outcome for i in counted] == [i.label.outcome for i in full]
    assert count_outcomes(counted).usable == count_outcomes(full).usable == 2
    assert full[0].mentee is not None and full[0].mentee.skills_wanted == mentee.skills_wanted
