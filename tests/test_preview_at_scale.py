"""The preview at 500 people: weakest pairs first with filters, a per-mentor load table, reasons that say what is
missing, factor contributions that add up to the score, every page inside Slack's limits, and the pending preview
one click from App Home. 500 simulated people sign up through the real modal first."""

from __future__ import annotations

import json
import re
import time

import pytest

from bot import ids
from bot.sandbox.people import generate_people
from tests.conftest import COORDINATOR, RunningApp
from tests.round_steps import (
    click,
    meta,
    run_match,
    select_option,
    show_tab,
    sign_up_many,
    text_of,
    validate_view,
    wait_view,
)

PAIR_LINE = re.compile(r"^\*(\d\.\d\d)\* <@(U[A-Z0-9]+)> → <@(U[A-Z0-9]+)>")
SUM_LINE = re.compile(r"^(.*) = (\d\.\d\d)$")


def _pairs_on(view: dict) -> list[dict]:
    """Each pair block of a page: score, mentee, mentor, its text, and the factor line under it."""
    blocks = view["blocks"]
    found = []
    for i, block in enumerate(blocks):
        text = ((block.get("text") or {}).get("text")) or ""
        m = PAIR_LINE.match(text)
        if not m:
            continue
        factors = blocks[i + 1]["elements"][0]["text"]
        found.append({"score": m.group(1), "mentee": m.group(2), "mentor": m.group(3), "text": text, "sum": factors})
    return found


def _walk(app: RunningApp, view: dict) -> tuple[list[dict], list[dict]]:
    """Every page of the current tab (validating each), and the pairs they list."""
    pages, pairs = [view], _pairs_on(view)
    while True:
        nxt = [
            e
            for b in view["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e.get("action_id") == ids.MATCH_PAGE_NEXT
        ]
        if not nxt:
            return pages, pairs
        page = int(nxt[0]["value"])
        before = click(app, view, ids.MATCH_PAGE_NEXT, value=nxt[0]["value"])
        view = wait_view(app, after=before, view_id=view["id"], check=lambda v, p=page: meta(v).get("page") == p)
        validate_view(view)
        pages.append(view)
        pairs += _pairs_on(view)


@pytest.fixture(scope="module")
def people() -> list:
    return generate_people(500, seed=3)


def test_the_preview_works_at_500_people(app: RunningApp, people: list) -> None:
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator", tz="Europe/Berlin")
    sign_up_many(app, people)
    by_id = {p.user_id: p for p in people}
    view = run_match(app, timeout=120)
    validate_view(view)
    summary = text_of(view)
    total = int(re.search(r"\*(\d+) pairs\*", summary).group(1))
    assert total > 100

    # every pair, page by page, weakest first; each page within Slack's limits
    pages, pairs = _walk(app, view)
    assert len(pairs) == total and len({p["mentee"] for p in pairs}) == total
    scores = [float(p["score"]) for p in pairs]
    assert scores == sorted(scores)
    for pair in pairs:
        # the factor contributions add up to the score shown
        terms, shown = SUM_LINE.match(pair["sum"]).groups()
        parts = [float(t.rsplit(" ", 1)[1]) for t in terms.split(" + ")]
        assert abs(sum(parts) - float(shown)) < 1e-9 and shown == pair["score"]
        # what is missing is said, and true to what the two people told us
        mentee, mentor = by_id[pair["mentee"]], by_id[pair["mentor"]]
        shares_skill = bool(set(mentee.skills_wanted) & set(mentor.skills_offered))
        assert ("no shared skill" in pair["text"]) == (bool(mentee.skills_wanted) and not shares_skill)

    # filters
    weak = wait_view(
        app,
        after=select_option(app, view, ids.MATCH_FILTER, "weak"),
        view_id=view["id"],
        check=lambda v: meta(v)["filter"] == "weak",
    )
    _, weak_pairs = _walk(app, weak)
    assert weak_pairs and all(float(p["score"]) < 0.4 for p in weak_pairs)
    assert len(weak_pairs) == sum(1 for s in scores if s < 0.4)
    no_skill = wait_view(
        app,
        after=select_option(app, weak, ids.MATCH_FILTER, "no_skill"),
        view_id=view["id"],
        check=lambda v: meta(v)["filter"] == "no_skill",
    )
    _, no_skill_pairs = _walk(app, no_skill)
    assert all(
        not set(by_id[p["mentee"]].skills_wanted) & set(by_id[p["mentor"]].skills_offered) for p in no_skill_pairs
    )
    low = wait_view(
        app,
        after=select_option(app, no_skill, ids.MATCH_FILTER, "low_overlap"),
        view_id=view["id"],
        check=lambda v: meta(v)["filter"] == "low_overlap",
    )
    _, low_pairs = _walk(app, low)
    for pair in low_pairs:
        hours = float(re.search(r"only ([\d.]+) h/week overlap", pair["text"]).group(1))
        assert hours < 2

    # the per-mentor load table: every mentor with free places, their new mentees within those places
    table = show_tab(app, low, "mentors")
    pages, _ = _walk(app, table)
    lines = [
        line
        for page in pages
        for block in page["blocks"]
        for line in ((block.get("text") or {}).get("text") or "").split("\n")
        if " new of " in line
    ]
    mentors = {p.user_id for p in people if p.is_mentor}
    listed = {}
    for line in lines:
        m = re.search(r"<@(U[A-Z0-9]+)>: (\d+) new of (\d+) free places?", line)
        listed[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    assert set(listed) == mentors
    for mentor, (new, free) in listed.items():
        assert free == by_id[mentor].capacity and new <= free
    assert sum(new for new, _ in listed.values()) == total

    # unmatched mentees, each with a reason
    unmatched = show_tab(app, table, "unmatched")
    _walk(app, unmatched)

    # the pending preview is one click from App Home
    before = time.time()
    app.driver.app_home_opened(COORDINATOR)
    home = app.sandbox.wait_for("views.publish", lambda c: c.args.get("user_id") == COORDINATOR, after=before)
    home_view = app.sandbox.home_view(COORDINATOR)
    assert "Match preview waiting to be published" in json.dumps(home.args["view"])
    before = time.time()
    app.driver.block_action(COORDINATOR, ids.MATCH_OPEN_PREVIEW, view=home_view)
    opened = app.sandbox.wait_for(
        "views.open", lambda c: "Match preview · " in text_of(c.args.get("view")), after=before
    )
    validate_view(opened.args["view"])
