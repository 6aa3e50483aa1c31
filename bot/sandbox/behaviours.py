"""What the simulated people do: click the buttons that reached them, fill the modals, type commands, each as
their pair's behaviour says, and write what they did into the ledger.

:class:`SimulatedPeople` is the half of :class:`bot.sandbox.scenario.Scenario` that acts for the people; the
scenario runs the clock, the rounds and the reading of Slack.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot import ids
from bot.clock import SimulatedClock
from bot.observability import ContextExecutor
from bot.profiles import Profile
from bot.sandbox import driver as slack
from bot.sandbox.driver import SlackDriver
from bot.sandbox.ledger import (
    Behaviour,
    Cast,
    FlagTruth,
    Ledger,
    MeetingTruth,
    PairTruth,
    SurveyTruth,
)
from bot.sandbox.messages import MENTION, PAIR_ID, action_ids, classify
from bot.sandbox.slack_api import SlackSandbox
from storage.vocab import (
    Cadence,
    CheckinOutcome,
    CloseReason,
    FitAnswer,
    Flag,
    GoalProgress,
    MeetOutcome,
    PairRole,
    SurveyKey,
)

COORDINATOR_ID = "U0COORDNTR"
RECOMMEND_SCORES = (10, 9, 8, 10, 7, 9, 6, 10, 9, 8)  # diligent people's answers, varied (promoters to detractors)


class SimulatedPeople:
    """The people's side of a scenario (a mixin: the scenario provides the attributes below)."""

    ledger: Ledger
    config: Any
    clock: SimulatedClock
    sandbox: SlackSandbox
    driver: SlackDriver
    executor: ContextExecutor
    profiles: dict[str, Profile]
    day: int
    _inbox: dict[str, Any]
    _channel_pair: dict[str, int]
    _help_pair: int

    def note(self, who: str, pair_id: int | None, what: str) -> None:  # pragma: no cover - the scenario's
        raise NotImplementedError

    def who(self, user_id: str) -> str:  # pragma: no cover - the scenario's
        raise NotImplementedError

    def _observe(self) -> None:  # pragma: no cover - the scenario's
        raise NotImplementedError

    # ------------------------------------------------------------------ doing things in Slack

    def _command_modal(self, user: str, text: str, channel: str = "C0GENERAL") -> dict[str, Any] | None:
        before = len(self.sandbox.views_opened(user))
        response = self.driver.slash_command(user, text, channel_id=channel)
        self.executor.wait_idle()
        opened = self.sandbox.views_opened(user)[before:]
        if response.status != 200 or not opened:
            return None
        return opened[-1]

    def _click(self, user: str, message: dict[str, Any], action_id: str) -> bool:
        response = self.driver.block_action(user, action_id, message=message)
        self.executor.wait_idle()
        if response.status != 200:
            self.ledger.problems.append(f"{user}: clicking {action_id} answered {response.status}")
        return response.status == 200

    def _open_modal(self, user: str, message: dict[str, Any], action_id: str) -> dict[str, Any] | None:
        before = len(self.sandbox.views_opened(user))
        if not self._click(user, message, action_id):
            return None
        opened = self.sandbox.views_opened(user)[before:]
        return opened[-1] if opened else None

    def _submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> bool:
        response = self.driver.view_submission(user, view, values)
        self.executor.wait_idle()
        ok = response.status == 200 and (not response.body.strip() or '"errors"' not in response.body)
        if not ok:
            self.ledger.problems.append(f"{user}: submitting {view.get('callback_id')} failed: {response.body[:200]}")
        return ok

    def _form(self, view: dict[str, Any], states: dict[str, dict[str, Any]]) -> dict[str, Any]:
        values = slack.values_for(view, {})
        present = {b.get("block_id") for b in view.get("blocks", [])}
        for block_id, state in states.items():
            if block_id in present:
                values[block_id] = {ids.INPUT: state}
        return values

    def _local_today(self, user: str) -> date:
        return self.clock().astimezone(ZoneInfo(self.profiles[user].timezone)).date()

    # ------------------------------------------------------------------ behaviours

    def _act_on_inboxes(self) -> None:
        for pair in list(self.ledger.pairs.values()):
            self._pair_day(pair)
        for user in list(self._inbox):
            if user == COORDINATOR_ID:
                if self.config.coordinator_resolves:
                    self._coordinator_resolves()
                continue
            inbox = self._inbox[user]
            items, inbox.items = inbox.items, []
            for message, kind in items:
                self._respond(user, message, kind)
        self._observe()

    def _active(self, pair: PairTruth) -> bool:
        """Whether the pair's people still take part (not closed, nobody left, nobody paused)."""
        if pair.closed_at is not None:
            return False
        now = self.clock()
        return not any(self.ledger.people[u].paused_at(now) for u in pair.members())

    def _pair_day(self, pair: PairTruth) -> None:
        """What the pair does today regardless of new messages: agree goals, hold the first meeting."""
        if pair.behaviour == Behaviour.SILENT or not self._active(pair):
            return
        if pair.closure_seen_at is not None:
            self._close_pair(pair)
            return
        age = (self.clock() - pair.kickoff_at).days
        if not pair.goals_set and age >= 1:
            self._set_goals(pair)
        if not pair.meetings and age >= 3:
            kickoff = next(
                (
                    m
                    for m in self.sandbox.messages_in(pair.channel)
                    if classify(m, [a for a, _ in action_ids(m.get("blocks") or [])]) == "kickoff"
                ),
                None,
            )
            if kickoff is not None:
                self._log_meeting(
                    pair, pair.mentee, kickoff, ids.PAIR_LOG_MEETING, via="button", topics="Getting started"
                )

    def _respond(self, user: str, message: dict[str, Any], kind: str) -> None:
        """A person answers one message the way their pair's behaviour says."""
        pair_id = None
        for _, value in action_ids(message.get("blocks") or []):
            found = PAIR_ID.match(value)
            if found:
                pair_id = int(found.group(1))
                break
        if pair_id is None:
            pair_id = self._channel_pair.get(str(message.get("channel", "")))
        pair = self.ledger.pairs.get(pair_id) if pair_id is not None else None
        if pair is None or user not in pair.members() or self.ledger.people[user].left_at is not None:
            return
        silent = pair.behaviour == Behaviour.SILENT
        gave_up = pair.behaviour == Behaviour.NOT_A_FIT and bool(pair.fit)
        if kind == "goals_proposal" and not silent:
            proposer = MENTION.search(str(message.get("text", "")))
            mine = proposer is not None and proposer.group(1) == user
            if not mine and self._click(user, message, ids.GOALS_CONFIRM):
                self.note(user, pair.pair_id, "confirmed the goals")
        elif kind == "checkin" and user == pair.mentee and not silent and not gave_up and self._active(pair):
            self._answer_checkin(pair, message)
        elif kind == "fit_check" and not silent:
            answer = FitAnswer.NOT if pair.behaviour == Behaviour.NOT_A_FIT and user == pair.mentee else FitAnswer.GOOD
            button = ids.FIT_NOT if answer == FitAnswer.NOT else ids.FIT_GOOD
            if self._click(user, message, button):
                pair.fit[user] = answer
                self.note(user, pair.pair_id, f"answered the private fit check: {answer}")
                if answer == FitAnswer.NOT:
                    pair.flags.append(FlagTruth(self.clock(), pair.pair_id, user, pair.role_of(user), Flag.NOT_A_FIT))
        elif kind == "rematch_offer" and pair.behaviour == Behaviour.NOT_A_FIT:
            if self._click(user, message, ids.REMATCH_YES):
                pair.rematch_asked_by = user
                self.note(user, pair.pair_id, "asked for a confidential rematch")
        elif kind == "meet_proposal" and pair.behaviour == Behaviour.DILIGENT and user == pair.mentee:
            if self._active(pair):
                self._book(pair, message)
        elif kind == "meet_followup" and pair.behaviour == Behaviour.DILIGENT and user == pair.mentee:
            if self._active(pair) and self._log_meeting(pair, pair.mentee, message, ids.MEET_DID_MEET, via="booking"):
                pair.meet_answers.append(MeetOutcome.MET)
        elif kind == "survey" and not silent:
            self._answer_survey(pair, user, message)
        elif kind == "closure" and not silent and pair.closed_at is None:
            self._close(pair, user, message)

    # ------------------------------------------------------------------ the coordinator resolves flagged pairs

    def _coordinator_resolves(self) -> None:
        """The coordinator acts on their notes: a "not a fit" is rematched, an inactive pair is ended."""
        inbox = self._inbox.get(COORDINATOR_ID)
        items, inbox.items = (inbox.items, []) if inbox is not None else ([], [])
        for message, kind in items:
            if kind != "coordinator_note":
                continue
            found = dict(action_ids(message.get("blocks") or []))
            text = str(message.get("text") or "")
            pair_match = PAIR_ID.match(found.get(ids.PAIR_DO_END, ""))
            pair = self.ledger.pairs.get(int(pair_match.group(1))) if pair_match else None
            if pair is None or pair.closed_at is not None:
                continue
            if ids.PAIR_DO_TALK in found and "Not a fit" in text:
                self._coordinator_acts(pair, message, ids.PAIR_DO_REMATCH, CloseReason.NOT_A_FIT)
            elif ids.PAIR_DO_NUDGE in found and "inactive for" in text:
                self._coordinator_acts(pair, message, ids.PAIR_DO_END, CloseReason.INACTIVE)

    def _coordinator_acts(self, pair: PairTruth, note: dict[str, Any], action_id: str, reason: CloseReason) -> None:
        """One click in the note opens the action (or the pair's card, when it changed since); confirm it."""
        view = self._open_modal(COORDINATOR_ID, note, action_id)
        if view is not None and view.get("callback_id") == ids.PAIR_CARD_VIEW:
            before = len(self.sandbox.views_opened(COORDINATOR_ID))
            self.driver.block_action(COORDINATOR_ID, action_id, view=view)
            self.executor.wait_idle()
            opened = self.sandbox.views_opened(COORDINATOR_ID)[before:]
            view = opened[-1] if opened else None
        if view is None or view.get("callback_id") != ids.PAIR_CONTROL_VIEW:
            self.ledger.problems.append(f"coordinator: {action_id} on pair #{pair.pair_id} opened no action")
            return
        offered = json.loads(view.get("private_metadata") or "{}").get("offered") or []
        states = {ids.PAIR_CTL_REASON: slack.radio_value(str(reason))}
        if offered:
            states[ids.PAIR_CTL_CHOICE] = slack.radio_value(offered[0])
        if not self._submit(COORDINATOR_ID, view, self._form(view, states)):
            return
        pair.closed_at, pair.closed_how = self.clock(), reason
        if action_id == ids.PAIR_DO_REMATCH and offered:
            # the new pair is an ordinary one: its kickoff arrives like a hand pair's
            self.ledger.hand_pairs[(pair.mentee, offered[0])] = "rematched by the coordinator"
            self.note(COORDINATOR_ID, pair.pair_id, f"rematched {self.who(pair.mentee)} with {self.who(offered[0])}")
        elif action_id == ids.PAIR_DO_REMATCH:
            self.note(COORDINATOR_ID, pair.pair_id, f"ended the pair; no mentor fits {self.who(pair.mentee)} yet")
        else:
            self.note(COORDINATOR_ID, pair.pair_id, "ended the silent pair (inactive)")
        self._observe()

    def _set_goals(self, pair: PairTruth) -> None:
        kickoff = next(
            (m for m in self.sandbox.messages_in(pair.channel) if ids.PAIR_SET_GOALS in json.dumps(m.get("blocks"))),
            None,
        )
        if kickoff is None:
            return
        view = self._open_modal(pair.mentee, kickoff, ids.PAIR_SET_GOALS)
        if view is None:
            return
        states = {
            ids.GOALS_CADENCE: slack.radio_value(Cadence.BIWEEKLY),
            ids.GOALS_CHANNEL: slack.radio_value("video"),
            ids.GOAL_TITLE.format(n=1): slack.text_value("Lead a design review"),
            ids.GOAL_MEASURE.format(n=1): slack.text_value("Run one review end to end"),
            ids.GOAL_TITLE.format(n=2): slack.text_value("Grow visibility"),
            ids.GOAL_MEASURE.format(n=2): slack.text_value("Give one talk"),
        }
        if self._submit(pair.mentee, view, self._form(view, states)):
            pair.goals_set = True
            self.note(pair.mentee, pair.pair_id, "proposed two goals")
            self._observe()

    def _log_meeting(
        self, pair: PairTruth, user: str, message: dict[str, Any] | None, action_id: str, *, via: str, topics: str = ""
    ) -> bool:
        """Log a meeting: from a button (check-in or pair DM), or with /mentor log typed in the pair's DM."""
        if message is None:
            view = self._command_modal(user, "log", pair.channel)
        else:
            view = self._open_modal(user, message, action_id)
        if view is None:
            self.ledger.problems.append(f"{user}: the meeting modal did not open (pair {pair.pair_id})")
            return False
        met_on = self._local_today(user)
        number = len(pair.meetings) + 1
        notes = f"Meeting {number} of pair {pair.pair_id}: talked about reviews and next steps."
        states = {
            ids.MEETING_DATE: slack.date_value(met_on.isoformat()),
            ids.MEETING_DURATION: slack.select_value("45"),
            ids.MEETING_TOPICS: slack.text_value(topics or f"Session {number}"),
            ids.MEETING_NOTES: slack.text_value(notes),
            ids.MEETING_PROGRESS.format(n=0): slack.radio_value(GoalProgress.DONE if number > 4 else GoalProgress.SOME),
        }
        if not self._submit(user, view, self._form(view, states)):
            return False
        pair.meetings.append(MeetingTruth(self.clock(), met_on.isoformat(), user, via, 45))
        pair.notes.append(notes)
        open_checkin = next((c for c in pair.checkins if c.outcome is None), None)
        if open_checkin is not None:
            open_checkin.outcome, open_checkin.answered_by, open_checkin.answered_at = (
                CheckinOutcome.MET,
                user,
                self.clock(),
            )
        self.note(user, pair.pair_id, f"logged meeting #{number} ({via})")
        return True

    def _answer_checkin(self, pair: PairTruth, message: dict[str, Any]) -> None:
        current = next((c for c in pair.checkins if c.ts == str(message.get("ts", ""))), None)
        if current is None or current.outcome is not None:
            return
        cycle = len(pair.checkins)
        helpless = cycle == 2 and pair.pair_id == self._help_pair
        if helpless and self._click(pair.mentee, message, ids.CHECKIN_HELP):
            pair.flags.append(FlagTruth(self.clock(), pair.pair_id, pair.mentee, PairRole.MENTEE, Flag.NEED_HELP))
            self.note(pair.mentee, pair.pair_id, "asked the coordinators for help (private)")
        if cycle % 4 == 3:
            if self._click(pair.mentee, message, ids.CHECKIN_NOT_YET):
                current.outcome, current.answered_by, current.answered_at = (
                    CheckinOutcome.NOT_YET,
                    pair.mentee,
                    self.clock(),
                )
                self.note(pair.mentee, pair.pair_id, "answered the check-in: not yet")
            return
        multi = Cast.MULTI_MENTOR in self.ledger.people[pair.mentor].casts
        if multi and cycle % 2 == 0:  # the busy mentor types /mentor log in this pair's DM
            self._log_meeting(pair, pair.mentor, None, "", via="command")
            return
        self._log_meeting(pair, pair.mentee, message, ids.CHECKIN_YES, via="checkin")

    def _book(self, pair: PairTruth, message: dict[str, Any]) -> None:
        """Diligent pairs book a proposed time in two clicks: the mentee picks the first, the mentor confirms."""
        slots = [v for a, v in action_ids(message.get("blocks") or []) if a == ids.MEET_SLOT]
        if not slots:
            return
        response = self.driver.block_action(pair.mentee, ids.MEET_SLOT, message=message, value=slots[0])
        self.executor.wait_idle()
        if response.status != 200:
            self.ledger.problems.append(f"{pair.mentee}: picking a proposed time answered {response.status}")
            return
        picked = next(
            (m for m in self.sandbox.messages_in(pair.channel) if m.get("ts") == message.get("ts")), None
        )  # the same message, now asking the mentor to confirm
        if picked is None or ids.MEET_CONFIRM not in json.dumps(picked.get("blocks") or []):
            return  # newer times replaced these meanwhile
        self.note(pair.mentee, pair.pair_id, "picked a proposed time")
        if self._click(pair.mentor, picked, ids.MEET_CONFIRM):
            if "move your meeting" in str(message.get("text") or ""):  # times offered to move a booked meeting
                self.note(pair.mentor, pair.pair_id, "confirmed it: the meeting is moved, with an updated invite")
            else:
                pair.bookings.append(self.clock())
                self.note(pair.mentor, pair.pair_id, "confirmed it: the meeting is booked, with a calendar invite")
        self._observe()

    def _answer_survey(self, pair: PairTruth, user: str, message: dict[str, Any]) -> None:
        value = next((v for a, v in action_ids(message.get("blocks") or []) if a == ids.SURVEY_OPEN), "")
        key = value.partition("|")[2] or SurveyKey.PULSE
        index = sorted(self.ledger.people).index(user)
        if not key.startswith(SurveyKey.CLOSING) and index % 4 == 1:
            return  # some people skip pulse surveys
        unhappy = pair.behaviour == Behaviour.NOT_A_FIT
        satisfaction = 2 if unhappy else 4 + index % 2
        recommend = 3 if unhappy else RECOMMEND_SCORES[index % len(RECOMMEND_SCORES)]
        view = self._open_modal(user, message, ids.SURVEY_OPEN)
        if view is None:
            return
        states = {
            ids.SURVEY_SATISFACTION: slack.radio_value(str(satisfaction)),
            ids.SURVEY_RECOMMEND: slack.select_value(str(recommend)),
            ids.SURVEY_FREE: slack.text_value(
                f"Closing thoughts from {self.who(user).split()[0]}: the sessions on reviews helped most."
                if key.startswith(SurveyKey.CLOSING) and not unhappy
                else None
            ),
        }
        if self._submit(user, view, self._form(view, states)):
            pair.surveys.append(SurveyTruth(self.clock(), user, pair.role_of(user), key, satisfaction, recommend))
            self.note(user, pair.pair_id, f"answered the {key} survey privately ({satisfaction}/5, {recommend}/10)")

    def _close(self, pair: PairTruth, user: str, message: dict[str, Any]) -> None:
        """The closing summary arrived: the mentee reflects (the pair closes on a later look, see ``_pair_day``)."""
        if user == pair.mentee and pair.behaviour != Behaviour.NOT_A_FIT:
            view = self._open_modal(user, message, ids.REFLECT_OPEN)
            if view is not None:
                thanks = f"Thank you, {self.who(pair.mentor).split()[0]}! This changed how I work."
                states = {
                    ids.REFLECT_ACHIEVED: slack.text_value("Ran my first design review"),
                    ids.REFLECT_LEARNED: slack.text_value("How to give feedback"),
                    ids.REFLECT_THANKS: slack.text_value(thanks),
                }
                if self._submit(user, view, self._form(view, states)):
                    pair.reflections.append("Ran my first design review")
                    self.note(user, pair.pair_id, "wrote a reflection and a thank-you note")

    def _close_pair(self, pair: PairTruth) -> None:
        """Once the mentee reflected (or a day after the summary), the mentor closes; a "not a fit" mentee at once."""
        closer = pair.mentee if pair.behaviour == Behaviour.NOT_A_FIT else pair.mentor
        waited = pair.closure_seen_at is not None and (self.clock() - pair.closure_seen_at).days >= 1
        if not (pair.reflections or waited or pair.behaviour == Behaviour.NOT_A_FIT):
            return
        summary = next(
            (
                m
                for m in reversed(self.sandbox.messages_in(pair.channel))
                if ids.CLOSE_CLOSE in json.dumps(m.get("blocks"))
            ),
            None,
        )
        if summary is not None and self._click(closer, summary, ids.CLOSE_CLOSE):
            user = closer
            pair.closed_at = self.clock()
            pair.closed_how = (
                CloseReason.NOT_A_FIT if pair.fit and FitAnswer.NOT in pair.fit.values() else CloseReason.COMPLETED
            )
            self.note(user, pair.pair_id, "closed the pair")

    def _goals_reached(self, pair: PairTruth) -> None:
        checkin = next(
            (
                m
                for m in reversed(self.sandbox.messages_in(pair.channel))
                if ids.PAIR_GOALS_ACHIEVED in json.dumps(m.get("blocks"))
            ),
            None,
        )
        if checkin is None:
            return
        for user in pair.members():
            if self._click(user, checkin, ids.PAIR_GOALS_ACHIEVED):
                pair.goals_reached_by.add(user)
        self.note(pair.mentee, pair.pair_id, "and their mentor both marked the goals reached")
        self._observe()

    def _pause(self, user: str, pair: PairTruth) -> None:
        response = self.driver.slash_command(user, "pause")
        self.executor.wait_idle()
        if response.status == 200:
            self.ledger.people[user].pauses.append((self.clock(), None))
            self.note(user, pair.pair_id, "paused with /mentor pause")
        self._observe()

    def _resume(self, user: str, pair: PairTruth) -> None:
        response = self.driver.slash_command(user, "resume")
        self.executor.wait_idle()
        person = self.ledger.people[user]
        if response.status == 200 and person.pauses and person.pauses[-1][1] is None:
            person.pauses[-1] = (person.pauses[-1][0], self.clock())
            self.note(user, pair.pair_id, "came back with /mentor resume")
        self._observe()

    def _leave(self, user: str, pair: PairTruth) -> None:
        view = self._command_modal(user, "leave")
        if view is None or not self._submit(user, view, slack.values_for(view, {})):
            self.ledger.problems.append(f"{user}: leaving failed")
            return
        self.ledger.people[user].left_at = self.clock()
        for each in self.ledger.pairs_of(user):
            if each.closed_at is None:
                each.closed_at, each.closed_how = self.clock(), CloseReason.LEFT_PROGRAM
        self.note(user, pair.pair_id, "left the program with /mentor leave")
        self._observe()
