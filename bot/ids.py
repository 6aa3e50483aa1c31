"""Every callback_id, block_id and action_id the app uses, spelled once."""

import re

# The value every input element uses as its action_id: inputs are told apart by block_id.
INPUT = "input"

# Signup / profile modal
SIGNUP_VIEW = "signup"
ROLE = "signup_role"
SKILLS_OFFERED = "signup_skills_offered"
SKILLS_OFFERED_OTHER = "signup_skills_offered_other"
SKILLS_WANTED = "signup_skills_wanted"
SKILLS_WANTED_OTHER = "signup_skills_wanted_other"
INTERESTS = "signup_interests"
CAREER_GOALS = "signup_career_goals"
DEPARTMENT = "signup_department"
INDUSTRY = "signup_industry"
SENIORITY = "signup_seniority"
COMMUNICATION = "signup_communication"
PERSONALITY = "signup_personality"
TIMEZONE = "signup_timezone"
DAYS = "signup_days"
TIME_SLOTS = "signup_time_slots"
MEETING_FORMAT = "signup_meeting_format"
CAPACITY = "signup_capacity"
LANGUAGES = "signup_languages"
BIO = "signup_bio"

# Leave confirmation modal
LEAVE_VIEW = "leave_confirm"

# App Home buttons
HOME_JOIN = "home_join"
HOME_EDIT = "home_edit_profile"
HOME_PAUSE = "home_pause"
HOME_RESUME = "home_resume"

# Matching (coordinators)
MATCH_PREVIEW_VIEW = "match_preview"
MATCH_RULE = "match_rule"  # overflow on a previewed pair: pin / forbid / clear
MATCH_RERUN = "match_rerun"
MATCH_PAGE = "match_page"
MATCH_OPEN_PREVIEW = "match_open_preview"
# Mentee-choice mode
CHOICE_PICK = "choice_pick"
CHOICE_ACCEPT = "choice_accept"
CHOICE_DECLINE = "choice_decline"

# The pair's journey (kickoff DM, goals, check-ins, meetings, fit, surveys, closure, pause)
PAIR_SET_GOALS = "pair_set_goals"
PAIR_LOG_MEETING = "pair_log_meeting"
PAIR_PAUSE = "pair_pause"
PAIR_RESUME = "pair_resume"
PAIR_CONCERN = "pair_concern"
PAIR_GOALS_ACHIEVED = "pair_goals_achieved"
GOALS_VIEW = "pair_goals"
GOALS_CONFIRM = "pair_goals_confirm"
GOAL_TITLE = "goal_title_{n}"
GOAL_MEASURE = "goal_measure_{n}"
GOAL_TARGET = "goal_target_{n}"
GOALS_GROWTH = "goals_growth_areas"
GOALS_OUTCOMES = "goals_outcomes"
GOALS_CADENCE = "goals_cadence"
GOALS_CHANNEL = "goals_channel"
GOALS_MENTOR_COMMITS = "goals_mentor_commits"
GOALS_MENTEE_COMMITS = "goals_mentee_commits"
MEETING_VIEW = "pair_meeting"
MEETING_DATE = "meeting_date"
MEETING_DURATION = "meeting_duration"
MEETING_TOPICS = "meeting_topics"
MEETING_NOTES = "meeting_notes"
MEETING_PROGRESS = "meeting_progress_{n}"
PAUSE_VIEW = "pair_pause_view"
PAUSE_UNTIL = "pair_pause_until"
CONCERN_VIEW = "pair_concern_view"
CONCERN_TEXT = "pair_concern_text"
CHECKIN_YES = "checkin_yes"
CHECKIN_NOT_YET = "checkin_not_yet"
CHECKIN_HELP = "checkin_help"
FIT_GOOD = "fit_good"
FIT_UNSURE = "fit_unsure"
FIT_NOT = "fit_not"
REMATCH_YES = "rematch_yes"
REMATCH_NO = "rematch_no"
CONTINUE_YES = "continue_yes"
CONTINUE_PAUSE = "continue_pause"
CONTINUE_STOP = "continue_stop"
SURVEY_OPEN = "survey_open"
SURVEY_VIEW = "pair_survey"
SURVEY_SATISFACTION = "survey_satisfaction"
SURVEY_RECOMMEND = "survey_recommend"
SURVEY_FREE = "survey_free"
REFLECT_OPEN = "closure_reflect"
REFLECTION_VIEW = "pair_reflection"
REFLECT_ACHIEVED = "reflect_achieved"
REFLECT_LEARNED = "reflect_learned"
REFLECT_THANKS = "reflect_thanks"
CLOSE_CLOSE = "closure_close"
CLOSE_EXTEND = "closure_extend"
CLOSE_INFORMAL = "closure_informal"
BECOME_MENTOR = "become_mentor"
BECOME_BOTH = "become_both"
HOME_PAIR_LOG = "home_pair_log"
HOME_PAIR_GOALS = "home_pair_goals"
HOME_PAIR_PAUSE = "home_pair_pause"
HOME_PAIR_RESUME = "home_pair_resume"

# Coordinators: program modal, pair actions, round skip, audit paging, import, home
PROGRAM_VIEW = "coord_program"
PROGRAM_NAME = "coord_program_name"
PROGRAM_SIGNUP_OPENS = "coord_program_signup_opens"
PROGRAM_SIGNUP_CLOSES = "coord_program_signup_closes"
PROGRAM_MATCH_DATE = "coord_program_match_date"
PROGRAM_START_DATE = "coord_program_start_date"
PROGRAM_DURATION = "coord_program_duration_months"
PROGRAM_CADENCE = "coord_program_checkin_cadence"
PROGRAM_FIRST_SURVEY = "coord_program_first_survey"
PROGRAM_SURVEY_EVERY = "coord_program_survey_every"
PROGRAM_WEIGHTS = "coord_program_weights"
PROGRAM_SKILLS = "coord_program_skills"
PROGRAM_OPTIONS = "coord_program_options"
PROGRAM_MIN_HOURS = "coord_program_min_hours"
PROGRAM_ANNOUNCE_CHANNEL = "coord_program_announce_channel"
PROGRAM_DIGEST_CHANNEL = "coord_program_digest_channel"
PROGRAM_CHOICE_DAYS = "coord_program_choice_days"
PAIR_ACTION_REASON = "coord_pair_action_reason"  # the "why" of a coordinator's confirmation (closing a cohort)
# the App Home's older at-risk buttons, still answered (by handlers/pair_control.py)
COORD_PAIR_NUDGE = "coord_pair_nudge"
COORD_PAIR_MESSAGE = "coord_pair_message"
COORD_PAIR_PAUSE = "coord_pair_pause"
COORD_PAIR_END = "coord_pair_end"
COORD_PAIR_REMATCH = "coord_pair_rematch"
COORD_AUDIT_PAGE = "coord_audit_page"
COORD_SKIP_ROUND = "coord_skip_round"
IMPORT_VIEW = "coord_import"
IMPORT_FILE = "coord_import_file"

# Knowledge sharing and networking (issue 6)
SHARE_VIEW = "knowledge_share"
SHARE_URL = "knowledge_share_url"
SHARE_TITLE = "knowledge_share_title"
SHARE_NOTE = "knowledge_share_note"
SHARE_TAGS = "knowledge_share_tags"
SHARE_GOAL = "knowledge_share_goal"
SHARE_OPEN = "knowledge_share_open"
RESOURCE_REMOVE = "knowledge_resource_remove"
RESOURCE_UPVOTE = "knowledge_resource_upvote"
FEEDBACK_REPLY_OPEN = "knowledge_feedback_reply_open"
FEEDBACK_REPLY_VIEW = "knowledge_feedback_reply"
FEEDBACK_REPLY_TEXT = "knowledge_feedback_reply_text"
INTRO_ACCEPT = "networking_intro_accept"
INTRO_DECLINE = "networking_intro_decline"
INTRO_ASK = "networking_intro_ask"
SUGGESTIONS_OFF = "networking_suggestions_off"
SUGGESTIONS_ON = "networking_suggestions_on"
ALUMNI_JOIN = "networking_alumni_join"
ALUMNI_JOIN_MENTOR = "networking_alumni_join_mentor"

# Coordinator pair control: /mentor pairs, the pair card, pair actions, bulk actions, one-click notes
PAIRS_LIST_VIEW = "pairs_list"
PAIRS_PAGE = "pairs_page"  # Previous; Next has its own id (one actions block)
PAIRS_PAGE_NEXT = "pairs_page_next"
PAIRS_FIND = "pairs_find"
PAIRS_OPEN = "pairs_open"
PAIRS_BULK_NUDGE = "pairs_bulk_nudge"
PAIRS_BULK_END = "pairs_bulk_end"
PAIR_CARD_VIEW = "pair_card"
PAIR_DO_END = "pair_do_end"
PAIR_DO_REMATCH = "pair_do_rematch"
PAIR_DO_REASSIGN = "pair_do_reassign"
PAIR_DO_PAUSE = "pair_do_pause"
PAIR_DO_RESUME = "pair_do_resume"
PAIR_DO_EXTEND = "pair_do_extend"
PAIR_DO_MESSAGE = "pair_do_message"
PAIR_DO_NUDGE = "pair_do_nudge"
PAIR_DO_TALK = "pair_do_talk_first"
PAIR_DO_UNDO = "pair_do_undo_rematch"
PAIR_DO_FILL = "pair_do_fill_place"
PAIR_DO_FILL_SKIP = "pair_do_fill_skip"
PAIR_CONTROL_VIEW = "pair_control"
PAIR_CTL_REASON = "pair_ctl_reason"
PAIR_CTL_OTHER = "pair_ctl_other"
PAIR_CTL_NOTE = "pair_ctl_note"
PAIR_CTL_MENTOR = "pair_ctl_mentor"
PAIR_CTL_OVERRIDE = "pair_ctl_override"
PAIR_CTL_UNTIL = "pair_ctl_until"
PAIR_CTL_MONTHS = "pair_ctl_months"
PAIR_CTL_MESSAGE = "pair_ctl_message"
PAIR_CTL_CHOICE = "pair_ctl_choice"
PAIR_CTL_WEEKS = "pair_ctl_weeks"
PAIRS_BULK_VIEW = "pairs_bulk"
PROGRAM_PAIR_OPTIONS = "coord_program_pair_options"
PROGRAM_CLOSE_INACTIVE = "coord_program_close_inactive"

# Type-ahead selects served by options listeners (lists that can outgrow Slack's 100 options)
SKILL_SEARCH = "skill_search"  # the skills a cohort defined (signup, profile edit, resource tags)
TIMEZONE_SEARCH = "timezone_search"  # IANA zones with their offsets and city names
PROGRAM_SKILLS_MORE = "program_skills_more"  # block ids program_skills_more_1.. hold the rest of a long skills list
# Two paging buttons in one actions block need their own action ids (Slack refuses a repeated one)
COORD_AUDIT_OLDER = "coord_audit_older"  # the Newer button keeps COORD_AUDIT_PAGE
MATCH_PAGE_NEXT = "match_page_next"  # the Previous button keeps MATCH_PAGE
# Match rounds at scale, cohort choice and lifecycle, audit export (coordinators)
MATCH_TAB = "match_tab"  # the preview's "Show" select: pairs | unmatched | mentors | rules | carried
MATCH_FILTER = "match_filter"  # the pair list's filter
MATCH_DISCARD = "match_discard"
MATCH_RULE_REMOVE = "match_rule_remove"  # "Remove pin" / "Allow again" in the preview's rules list
MATCH_CARRY = "match_carry"  # carry earlier cohorts' waiting people over, or not
MATCH_COHORT = "match_cohort"  # "which cohort?" buttons of /mentor match
COORD_COHORT = "coord_cohort"  # "which cohort?" buttons of /mentor stats and export
COHORT_CLOSE = "cohort_close"
COHORT_REOPEN = "cohort_reopen"
COHORT_CLOSE_VIEW = "cohort_close_confirm"
AUDIT_EXPORT = "coord_audit_export"
PROGRAM_CHOICE_PICK_DAYS = "coord_program_choice_pick_days"

# Learning from past cohorts (the program modal's offer, the results modal, apply and revert)
LEARN_OPEN = "coord_learn_open"
LEARN_VIEW = "coord_learn"
LEARN_REVERT = "coord_learn_revert"
LEARN_DONE_VIEW = "coord_learn_done"

# Store before ack, HR import confirmation, signup window (the seams between stages)
STORE_FAILED = "store_failed"
IMPORT_CONFIRM = "coord_import_confirm"
IMPORT_CANCEL = "coord_import_cancel"
SIGNUP_WINDOW_VIEW = "signup_window"

# Scheduling: proposed times, booking, calendar links, "did you meet?", away dates
MEET_FIND = "meet_find"  # "Find a time" in the pair DM
HOME_PAIR_MEET = "home_pair_meet"  # "Find a time" on App Home
MEET_SLOT = "meet_slot"  # one proposed slot (value: pair|proposal:index)
MEET_CONFIRM = "meet_confirm"  # the other person confirms the picked slot
MEET_OTHER = "meet_other"  # "Suggest other times"
MEET_RESCHEDULE = "meet_reschedule"
MEET_CANCEL = "meet_cancel"
MEET_GOOGLE = "meet_add_google"  # link buttons: Slack still sends a block action, acknowledged and ignored
MEET_OUTLOOK = "meet_add_outlook"
MEET_DID_MEET = "meet_did_meet"
MEET_DID_RESCHEDULE = "meet_did_reschedule"
MEET_DID_SKIP = "meet_did_skip"
AWAY_CLEAR = "away_clear"  # value: the away period's id, or "all"
GOALS_DURATION = "goals_duration"  # the agreed meeting length in the goals modal


def numbered(action_id: str, n: int) -> str:
    """One of several buttons of the same kind in one block: Slack wants each action id unique in its block."""
    return f"{action_id}:{n}"


def any_numbered(action_id: str) -> re.Pattern[str]:
    """The Bolt matcher for ``action_id`` and every :func:`numbered` variant of it."""
    return re.compile(rf"^{re.escape(action_id)}(?::\d+)?$")
