"""The pair's journey.

Pure parts: ``planning`` (delivery times, survey offsets, stages) and ``forms`` (modal parsing). Services and
renderers, one module per part of the journey: ``pairs`` (what every part needs about a pair), ``plan`` (the
prompts scheduled when a pair starts), ``kickoff`` (introduction and goals), ``checkins`` (check-ins, meetings,
silence), ``milestones`` (surveys, halfway, fit check, private concerns), ``closure``, ``pause`` and
``overview`` (App Home and schedule previews); ``prompts`` registers the renderers with the outbox.
``simulate`` drives simulated people through the real app (demo and tests).
"""
