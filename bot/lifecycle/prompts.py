"""Which renderer sends each of the journey's prompt kinds (registered with the outbox once, at app start)."""

from __future__ import annotations

from bot.lifecycle import checkins, closure, kickoff, milestones, pause
from bot.outbox import register_prompt_kind
from storage.vocab import PromptKind


def register_prompt_kinds() -> None:
    """Register every journey renderer with the outbox (idempotent)."""
    from bot.scheduling import booking

    # right after the introduction, times for the first meeting (bot.scheduling)
    register_prompt_kind(PromptKind.KICKOFF, kickoff.render_kickoff, after_send=booking.after_kickoff)
    booking.register_scheduling_kinds()
    register_prompt_kind(PromptKind.GOALS_REMINDER, kickoff.render_goals_reminder)
    register_prompt_kind(PromptKind.CHECKIN, checkins.render_checkin, after_send=checkins.after_checkin)
    register_prompt_kind(
        PromptKind.SILENT_FOLLOWUP, checkins.render_silent_followup, after_send=checkins.after_silent_followup
    )
    register_prompt_kind(PromptKind.COORDINATOR_NOTE, checkins.render_coordinator_note)
    register_prompt_kind(PromptKind.SURVEY, milestones.render_survey)
    register_prompt_kind(PromptKind.HALFWAY, milestones.render_halfway)
    register_prompt_kind(PromptKind.FIT_CHECK, milestones.render_fit_check)
    register_prompt_kind(PromptKind.CLOSURE, closure.render_closure, after_send=closure.after_closure)
    register_prompt_kind(PromptKind.PAIR_END, closure.render_end, after_send=closure.after_end)
    register_prompt_kind(PromptKind.RESUME, pause.render_resume, after_send=pause.after_resume)
