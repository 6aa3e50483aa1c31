"""Block Kit for "Learn from past cohorts": the program modal's offer, the results modal, apply and revert.

Pure builders: plain data in (counts, the model file's evaluation, effects in words, the preview JSON),
views and blocks out. Every text is written for a coordinator.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import ids
from bot.views.blocks import button, context, divider, escape, header, modal, section
from bot.views.reasons import Reader, reason_lines
from bot.views.words import counted

TITLE = "Learn from past cohorts"
BAR = 8


@dataclass(frozen=True)
class OfferData:
    """What the program modal shows about learning (plain data)."""

    cohort_id: int | None
    cohort_name: str
    closed: int
    good: int
    poor: int
    usable: int
    refusal: str | None
    applied_model_id: int | None = None
    applied_by: str = ""
    applied_on: str = ""  # e.g. "12 May 2026"
    applied_auc: tuple[float, float] | None = None  # (weights, model)


def _plural(n: int, one: str, many: str | None = None) -> str:
    return counted(n, one, many)  # the one plural helper


def offer_blocks(data: OfferData) -> list[dict[str, Any]]:
    """The program modal's section about learning: applied model (with Revert), then the offer or its progress."""
    blocks: list[dict[str, Any]] = [divider()]
    if data.applied_model_id is not None:
        auc = (
            f" Cross-validated ROC AUC {data.applied_auc[1]:.2f} against {data.applied_auc[0]:.2f} for the weights."
            if data.applied_auc
            else ""
        )
        by = f" by <@{data.applied_by}>" if data.applied_by else ""
        blocks.append(
            section(
                f":brain: *{escape(data.cohort_name)}* matches with a *learned model* "
                f"(applied{by} on {data.applied_on}).{auc}",
                accessory=button("Revert to previous scoring", ids.LEARN_REVERT, value=str(data.cohort_id or "")),
            )
        )
    counts = (
        f"{_plural(data.closed, 'closed pair')} so far: {data.good:,} went well, {data.poor:,} didn't, "
        f"{data.closed - data.good - data.poor:,} in between"
    )
    if data.refusal is None:
        blocks.append(
            section(
                f"*Learn from past cohorts*: {counts}. See which factors made pairs work here, how the next round "
                f"of *{escape(data.cohort_name)}* would change, and decide whether to use it.",
                accessory=button(TITLE, ids.LEARN_OPEN, value=str(data.cohort_id or "")),
            )
        )
    else:
        blocks.append(
            context(f":hourglass_flowing_sand: Learning from past cohorts opens with enough outcomes: {counts}.")
        )
    return blocks


def running_modal() -> dict[str, Any]:
    """Shown at once while the model is learned in the background."""
    return modal(
        callback_id=ids.LEARN_VIEW,
        title=TITLE,
        submit=None,
        close="Back",
        blocks=[section(":hourglass_flowing_sand: Learning from your closed pairs and previewing the next round…")],
    )


def _bar(value: float, top: float) -> str:
    filled = round(BAR * value / top) if top > 0 else 0
    return "█" * filled + "░" * (BAR - filled)


def _auc_line(name: str, item: dict[str, Any]) -> str:
    return f"• {name}: *{item.get('auc', 0):.2f}* (95% interval {item.get('low', 0):.2f} to {item.get('high', 0):.2f})"


def results_modal(
    *,
    model_id: int,
    cohort_name: str,
    evaluation: dict[str, Any],
    training: dict[str, Any],
    effects: Sequence[tuple[str, str, float]],
    preview: dict[str, Any],
) -> dict[str, Any]:
    """The comparison, what mattered and what didn't, and the next round old vs new; submit applies it.

    Args:
        model_id: The candidate model's id (kept in the view's metadata).
        cohort_name: The cohort it would apply to.
        evaluation: The model file's ``evaluation``.
        training: The model file's ``training``.
        effects: (sentence, strength, importance) per factor, strongest first.
        preview: :func:`bot.learning.preview_next_round`'s JSON.
    """
    difference = evaluation.get("difference") or {}
    better = difference.get("low", 0) > 0
    verdict = (
        "The learned model ranks the pairs that went well clearly better than the current weights."
        if better
        else "The learned model is not clearly better than the current weights on these outcomes; keeping the "
        "weights is reasonable."
    )
    blocks: list[dict[str, Any]] = [
        header(f"What {_plural(int(training.get('outcomes', 0)), 'past pair')} teach"),
        section(
            "*How well each scoring ranks pairs that went well above pairs that didn't* (ROC AUC: 0.5 is chance, "
            "1 is perfect; cross-validated with nobody in both the training and the test pairs):\n"
            + _auc_line("Current weights", evaluation.get("default") or {})
            + "\n"
            + _auc_line("Learned model", evaluation.get("model") or {})
            + f"\n• Difference: *{difference.get('auc', 0):+.2f}* ({difference.get('low', 0):+.2f} to "
            f"{difference.get('high', 0):+.2f})\n{verdict}"
        ),
        context(
            f"Learned from {training.get('good', 0):,} pairs that went well and {training.get('poor', 0):,} that "
            "didn't (closed pairs of every cohort, with the profiles they were matched on)."
        ),
        divider(),
    ]
    mattered = [e for e in effects if e[1] != "none"]
    didnt = [e for e in effects if e[1] == "none"]
    top = max((e[2] for e in effects), default=0.0)
    lines = [f"`{_bar(importance, top)}` {sentence}" for sentence, _, importance in mattered[:8]]
    blocks.append(section("*What mattered*\n" + ("\n".join(lines) or "Nothing stood out.")))
    if didnt:
        names = ", ".join(sentence.split(":")[0] for sentence, _, _ in didnt)
        blocks.append(section(f"*What didn't*: {names}."))
    blocks.append(context("The chart of every factor's effect is in your DM with the bot."))
    blocks.append(divider())

    pool = preview.get("pool") or {}
    old, new = preview.get("old") or {}, preview.get("new") or {}
    now_what = "a learned model" if old.get("scoring") == "learned model" else "its weights"
    if not pool.get("mentees") or not pool.get("mentors"):
        blocks.append(
            section(
                f"*Next round of {escape(cohort_name)}*: nobody is waiting to be matched yet, "
                "so there is nothing to preview. "
                "The model would apply from the next round."
            )
        )
    else:
        summary = (
            f"*Next round of {escape(cohort_name)}, same pool* ({_plural(int(pool['mentees']), 'mentee')}, "
            f"{_plural(int(pool['mentors']), 'mentor')}):\n"
            f"• Now ({now_what}): {_plural(int(old.get('pairs', 0)), 'pair')}, about "
            f"{old.get('expected_good', 0):.1f} expected to go well\n"
            f"• With the learned model: {_plural(int(new.get('pairs', 0)), 'pair')}, about "
            f"{new.get('expected_good', 0):.1f} expected to go well\n"
            f"*{_plural(int(preview.get('changed_count', 0)), 'mentee')} would get a different mentor.*"
        )
        blocks.append(section(summary))
        changes = []
        for change in (preview.get("changed") or [])[:10]:
            before = f"<@{change['old_mentor']}>" if change.get("old_mentor") else "unmatched"
            after = f"<@{change['new_mentor']}>" if change.get("new_mentor") else "unmatched"
            why = (
                f" ({change['chance']:.0%} chance"
                + "".join(
                    f"; {line}"
                    for line in reason_lines(
                        change.get("reasons"),
                        reader=Reader.COORDINATOR,
                        mentee=f"<@{change['mentee']}>",
                        mentor=f"<@{change['new_mentor']}>",
                        limit=1,
                    )
                )
                + ")"
            )
            changes.append(f"• <@{change['mentee']}>: {before} → {after}{why if change.get('new_mentor') else ''}")
        if changes:
            more = int(preview.get("changed_count", 0)) - len(changes)
            blocks.append(section("\n".join(changes) + (f"\n…and {more} more" if more > 0 else "")))
    blocks.append(
        context(
            f"Nothing changes until you apply it to *{escape(cohort_name)}*. "
            "Applying is written to the audit log and can be "
            f"reverted from `/mentor program {cohort_name}`."
        )
    )
    return modal(
        callback_id=ids.LEARN_VIEW,
        title=TITLE,
        blocks=blocks,
        submit="Apply to cohort",
        close="Back",
        private_metadata=json.dumps({"model_id": model_id}),
    )


def message_modal(text: str) -> dict[str, Any]:
    """A one-message modal (applied, reverted, refused, not enough outcomes)."""
    return modal(callback_id=ids.LEARN_DONE_VIEW, title=TITLE, blocks=[section(text)], submit=None, close="Close")
