"""Block Kit builders: pure functions returning views and messages as dicts."""
