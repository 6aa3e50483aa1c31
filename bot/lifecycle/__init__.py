"""The pair's journey: planning (pure), forms (pure), services and renderers (journey), simulated people."""
