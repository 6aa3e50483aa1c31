"""Learning from past cohorts: the offer, a learned model with a preview of the next round, apply and revert.

Nothing changes a cohort's matching until a coordinator applies a model to it; applying and reverting are
audited, and reverting goes back to whatever the cohort used before (its weights, or an earlier model).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlmodel import Session

from bot.matching.features import batch_values
from bot.matching.learn import MIN_OUTCOMES, MIN_PER_CLASS, NotEnoughOutcomes, check_enough, learn
from bot.matching.model import ModelFileError, PairModel
from bot.outcomes import OutcomeCounts, count_outcomes, labelled_pairs, training_arrays
from bot.views.learning import OfferData, results_modal
from storage import learning as store
from storage.coordination import record_audit
from storage.models import Cohort
from storage.models.learning import ScoringModel
from storage.vocab import Outcome, ScoringModelStatus

log = logging.getLogger(__name__)
DEFAULT_MINIMUM = (MIN_OUTCOMES, MIN_PER_CLASS)
PREVIEW_CHANGES = 40


def active_model(*, session: Session, team_id: str, cohort_id: int | None) -> PairModel | None:
    """The learned model a cohort's rounds use, or None for its weights."""
    row = store.applied_model(session=session, team_id=team_id, cohort_id=cohort_id)
    if row is None:
        return None
    try:
        return PairModel.from_json(row.model)
    except ModelFileError as exc:  # never expected: stored models were written by this code
        log.error("stored model unreadable model=%s error=%s", row.id, exc)
        return None


@dataclass(frozen=True)
class Offer:
    """Whether "Learn from past cohorts" is offered, and what a cohort uses now."""

    counts: OutcomeCounts
    refusal: str | None
    applied: ScoringModel | None

    @property
    def enough(self) -> bool:
        return self.refusal is None


def learning_offer(
    *, session: Session, team_id: str, cohort_id: int | None, minimum: tuple[int, int] = DEFAULT_MINIMUM
) -> Offer:
    """Count the workspace's labelled pairs (every cohort) and find the cohort's applied model."""
    items = labelled_pairs(session=session, team_id=team_id, with_profiles=False)
    counts = count_outcomes(items)
    usable = np.array([1 if i.label.outcome == Outcome.GOOD else 0 for i in items if i.usable], dtype=np.int64)
    refusal = check_enough(usable, minimum=minimum[0], per_class=minimum[1])
    return Offer(counts, refusal, store.applied_model(session=session, team_id=team_id, cohort_id=cohort_id))


def offer_data(
    *,
    session: Session,
    team_id: str,
    cohort_id: int | None,
    cohort_name: str = "",
    minimum: tuple[int, int] = DEFAULT_MINIMUM,
) -> OfferData:
    """The program modal's learning section as plain data."""
    offer = learning_offer(session=session, team_id=team_id, cohort_id=cohort_id, minimum=minimum)
    applied = offer.applied
    auc = None
    if applied is not None:
        evaluation = (applied.model or {}).get("evaluation") or {}
        if evaluation.get("default") and evaluation.get("model"):
            auc = (float(evaluation["default"]["auc"]), float(evaluation["model"]["auc"]))
    return OfferData(
        cohort_id=cohort_id,
        cohort_name=cohort_name,
        closed=offer.counts.closed,
        good=offer.counts.good,
        poor=offer.counts.poor,
        usable=offer.counts.usable,
        refusal=offer.refusal,
        applied_model_id=applied.id if applied is not None else None,
        applied_by=applied.applied_by if applied is not None else "",
        applied_on=f"{applied.applied_at:%d %B %Y}" if applied is not None and applied.applied_at else "",
        applied_auc=auc,
    )


def results_view(row: ScoringModel, *, cohort_name: str) -> dict[str, Any]:
    """The results modal of a candidate model."""
    model = PairModel.from_json(row.model)
    return results_modal(
        model_id=int(row.id or 0),
        cohort_name=cohort_name,
        evaluation=model.evaluation,
        training=model.training,
        effects=[(e.sentence, e.strength, e.importance) for e in model.effects()],
        preview=row.preview,
    )


def _expected_good(model: PairModel, pairs: list[tuple[Any, Any]], week_of: Any) -> float:
    if not pairs:
        return 0.0
    values = batch_values([a for a, _ in pairs], [b for _, b in pairs], week_of=week_of)
    return float(model.predict(values).sum())


def preview_next_round(
    *, session: Session, cohort: Cohort, new_model: PairModel, old_model: PairModel | None, now: datetime
) -> dict[str, Any]:
    """The cohort's next round on the same pool, planned the current way and with the new model.

    Returns:
        JSON: pool size, for each plan the pairs, unmatched and expected good outcomes (by the new model),
        and the mentees whose mentor changes (old and new mentor, new reasons), at most 40 listed.
    """
    from bot.cohorts import settings_of
    from bot.matching.rounds import diff_rounds, plan_round
    from bot.matchmaking import load_pool, round_settings

    weights, constraints = round_settings(settings_of(cohort))
    pool = load_pool(session=session, team_id=cohort.team_id, cohort_id=cohort.id)
    common: dict[str, Any] = {
        "settings": constraints,
        "past_pairs": pool.past_pairs,
        "priority": pool.priority,
        "week_of": now.date(),
    }
    old = plan_round(pool.mentees, pool.mentors, weights=weights, model=old_model, **common)
    new = plan_round(pool.mentees, pool.mentors, weights=weights, model=new_model, **common)
    diff = diff_rounds(old, new)
    people = {p.user_id: p for p in [*pool.mentees, *pool.mentors]}

    def expected(result: Any) -> float:
        return _expected_good(new_model, [(people[p.mentee_id], people[p.mentor_id]) for p in result.pairs], now.date())

    old_by_mentee = {p.mentee_id: p for p in old.pairs}
    new_by_mentee = {p.mentee_id: p for p in new.pairs}
    changed = []
    for mentee in sorted(set(old_by_mentee) | set(new_by_mentee)):
        before, after = old_by_mentee.get(mentee), new_by_mentee.get(mentee)
        if before is not None and after is not None and before.mentor_id == after.mentor_id:
            continue
        changed.append(
            {
                "mentee": mentee,
                "old_mentor": before.mentor_id if before else None,
                "new_mentor": after.mentor_id if after else None,
                "reasons": list(after.score.reasons[:2]) if after else [],
                "chance": round(after.score.total, 3) if after else None,
            }
        )
    return {
        "cohort_id": cohort.id,
        "cohort_name": cohort.name,
        "pool": {"mentees": len(pool.mentees), "mentors": len(pool.mentors)},
        "old": {
            "scoring": "learned model" if old_model is not None else "weights",
            "pairs": len(old.pairs),
            "unmatched": len(old.unmatched),
            "expected_good": round(expected(old), 2),
        },
        "new": {"pairs": len(new.pairs), "unmatched": len(new.unmatched), "expected_good": round(expected(new), 2)},
        "changed_count": len(changed),
        "changed": changed[:PREVIEW_CHANGES],
        "added": len(diff.added),
        "removed": len(diff.removed),
    }


def learn_for_cohort(
    *,
    session: Session,
    team_id: str,
    cohort_id: int,
    actor: str,
    now: datetime,
    minimum: tuple[int, int] = DEFAULT_MINIMUM,
    seed: int = 0,
) -> ScoringModel:
    """Learn from every labelled closed pair of the workspace and preview the cohort's next round.

    The model is stored as a *candidate*: the cohort's matching does not change until it is applied.

    Raises:
        NotEnoughOutcomes: Too few labelled pairs (one-line message).
        LookupError: The cohort is not this workspace's.
    """
    from bot.cohorts import settings_of
    from bot.matchmaking import round_settings

    cohort = session.get(Cohort, cohort_id)
    if cohort is None or cohort.team_id != team_id:
        raise LookupError("that cohort no longer exists")
    items = labelled_pairs(session=session, team_id=team_id)
    values, outcome, mentee_keys, mentor_keys = training_arrays(items)
    if (refusal := check_enough(outcome, minimum=minimum[0], per_class=minimum[1])) is not None:
        raise NotEnoughOutcomes(refusal)
    weights, _ = round_settings(settings_of(cohort))
    model, _ = learn(
        values,
        outcome,
        mentee_keys,
        mentor_keys,
        weights=weights,
        seed=seed,
        now=now,
        minimum=minimum,
    )
    old_model = active_model(session=session, team_id=team_id, cohort_id=cohort_id)
    preview = preview_next_round(session=session, cohort=cohort, new_model=model, old_model=old_model, now=now)
    row = store.add_model(
        session=session,
        team_id=team_id,
        cohort_id=cohort_id,
        model=model.to_json(),
        preview=preview,
        created_by=actor,
        now=now,
    )
    log.info("scoring model learned model=%s cohort=%s outcomes=%s", row.id, cohort_id, len(outcome))
    return row


@dataclass(frozen=True)
class Change:
    """What applying or reverting did."""

    done: bool
    text: str
    cohort_name: str = ""


def apply_model(*, session: Session, team_id: str, model_id: int, actor: str, now: datetime) -> Change:
    """Make a candidate model the one its cohort's rounds use (audited; a second click changes nothing)."""
    row = store.get_model(session=session, team_id=team_id, model_id=model_id)
    cohort = session.get(Cohort, row.cohort_id) if row is not None and row.cohort_id is not None else None
    if row is None or cohort is None:
        return Change(False, "That model no longer exists.")
    if row.status != ScoringModelStatus.CANDIDATE:
        return Change(False, f"That model was already {row.status} for *{cohort.name}*.", cohort.name)
    previous = store.applied_model(session=session, team_id=team_id, cohort_id=cohort.id)
    claimed = store.claim_status(
        session=session,
        model_id=model_id,
        old=ScoringModelStatus.CANDIDATE,
        new=ScoringModelStatus.APPLIED,
        applied_by=actor[:32],
        applied_at=now,
        replaces_id=previous.id if previous is not None else None,
    )
    if not claimed:
        session.rollback()
        return Change(False, f"That model was already applied to *{cohort.name}*.", cohort.name)
    if previous is not None:
        store.claim_status(
            session=session,
            model_id=int(previous.id or 0),
            old=ScoringModelStatus.APPLIED,
            new=ScoringModelStatus.REPLACED,
        )
    evaluation = (row.model or {}).get("evaluation") or {}
    record_audit(
        session=session,
        team_id=team_id,
        actor=actor,
        action="cohort.scoring.apply",
        target=f"cohort:{cohort.id}",
        detail={
            "model": model_id,
            "replaces": f"model:{previous.id}" if previous is not None else "weights",
            "auc_default": (evaluation.get("default") or {}).get("auc"),
            "auc_model": (evaluation.get("model") or {}).get("auc"),
        },
        now=now,
        commit=False,
    )
    session.commit()
    log.info("scoring model applied model=%s cohort=%s", model_id, cohort.id)
    return Change(True, f"*{cohort.name}* now matches with the learned model.", cohort.name)


def revert_model(*, session: Session, team_id: str, cohort_id: int, actor: str, now: datetime) -> Change:
    """Go back to what the cohort used before its applied model (audited)."""
    cohort = session.get(Cohort, cohort_id)
    row = store.applied_model(session=session, team_id=team_id, cohort_id=cohort_id)
    if cohort is None or cohort.team_id != team_id or row is None:
        return Change(False, "This cohort uses its weights; there is nothing to revert.")
    if not store.claim_status(
        session=session, model_id=int(row.id or 0), old=ScoringModelStatus.APPLIED, new=ScoringModelStatus.REVERTED
    ):
        session.rollback()
        return Change(False, "That model was already reverted.", cohort.name)
    back_to = "its weights"
    if row.replaces_id is not None and store.claim_status(
        session=session, model_id=row.replaces_id, old=ScoringModelStatus.REPLACED, new=ScoringModelStatus.APPLIED
    ):
        back_to = "the model it used before"
    record_audit(
        session=session,
        team_id=team_id,
        actor=actor,
        action="cohort.scoring.revert",
        target=f"cohort:{cohort_id}",
        detail={"model": row.id, "back_to": f"model:{row.replaces_id}" if back_to != "its weights" else "weights"},
        now=now,
        commit=False,
    )
    session.commit()
    log.info("scoring model reverted model=%s cohort=%s", row.id, cohort_id)
    return Change(True, f"*{cohort.name}* matches with {back_to} again.", cohort.name)


__all__ = [
    "Change",
    "NotEnoughOutcomes",
    "Offer",
    "active_model",
    "apply_model",
    "learn_for_cohort",
    "learning_offer",
    "offer_data",
    "results_view",
    "preview_next_round",
    "revert_model",
]
