"""Every callback_id, block_id and action_id the app uses, spelled once."""

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
