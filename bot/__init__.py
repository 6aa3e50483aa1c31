"""mentorbot: a Slack app that runs a company's mentorship program end to end."""

__version__ = "0.1.0"
