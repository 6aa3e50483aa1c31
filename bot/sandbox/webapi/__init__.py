"""The sandbox's Slack Web API, one module per method family (composed into ``SlackSandbox`` in ``slack_api``)."""
