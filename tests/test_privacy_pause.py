"""A private "I need a pause" stays private: the pair DM hears nothing, exactly as the reply promises."""

from __future__ import annotations

import time

from bot import ids
from tests.conftest import COORDINATOR
from tests.test_journey_flow import MENTEE, MENTOR, World, click, eventually, last_with, world  # noqa: F401


def test_i_need_a_pause_is_not_announced_in_the_pair_dm(world: World) -> None:  # noqa: F811
    w = world
    w.advance(38)  # silent: each person is asked privately whether they can continue
    ask = last_with(w.app.sandbox.messages_to(MENTEE), ids.CONTINUE_PAUSE)
    in_pair_dm = len(w.dm())
    partner_saw = len(w.app.sandbox.messages_to(MENTOR))
    click(w, MENTEE, ids.CONTINUE_PAUSE, ask)
    reply = eventually(lambda: [c for c in w.app.sandbox.calls_for("chat.update") if c.args.get("ts") == ask["ts"]])[
        -1
    ].args["text"]
    assert "isn't told" in reply and "Nothing is posted in your pair's DM" in reply
    eventually(lambda: [m for m in w.app.sandbox.messages_to(COORDINATOR) if "needs a pause" in m["text"]])
    eventually(lambda: w.pair().status == "paused")  # what the reply promises: check-ins on hold
    time.sleep(0.3)
    assert len(w.dm()) == in_pair_dm, w.dm()[in_pair_dm:]
    assert len(w.app.sandbox.messages_to(MENTOR)) == partner_saw
    w.advance(30)
    assert not [m for m in w.dm()[in_pair_dm:] if ids.CHECKIN_YES in str(m.get("blocks"))]  # no check-ins meanwhile
