"""The resource library: URL checks, merging duplicates, the share modal, listing, removal, suggestions."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.views import View
from sqlmodel import select

from bot import ids, knowledge
from bot.sandbox import forms as fill
from bot.taxonomy import default_taxonomy
from bot.views.knowledge import build_share_modal, resource_list_message, resource_suggestion_blocks
from storage import knowledge as store
from storage.models import Resource, ResourceSeen, ResourceShare
from tests.conftest import COORDINATOR, TEAM_ID, RunningApp
from tests.helpers import ALICE, BOB
from tests.test_knowledge_support import alice_and_bob, buttons, command, seed_person, validate_blocks

# ------------------------------------------------------------------ pure: URLs


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://Example.COM:443/a/b/?utm_source=x&b=2&a=1#frag", "https://example.com/a/b?a=1&b=2"),
        ("http://example.com:80/", "http://example.com"),
        ("http://example.com:8080/x/", "http://example.com:8080/x"),
        (
            "<https://martinfowler.com/articles/microservices.html|martinfowler.com>",
            "https://martinfowler.com/articles/microservices.html",
        ),
        ("https://example.com/?UTM_medium=a&q=", "https://example.com?q="),
    ],
)
def test_normalise_url(raw: str, expected: str) -> None:
    assert knowledge.normalise_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("javascript:alert(1)", "http"),
        ("JavaScript://example.com/%0aalert(1)", "http"),
        ("ftp://example.com/file", "http"),
        ("https://user:secret@example.com/", "password"),
        ("https://token@example.com/", "password"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/a\tb", "spaces"),
        ("https:///nohost", "host"),
        ("https://exa_mple.com", "host"),
        ("https://example.com/" + "a" * 2000, "too long"),
        ("example.com", "http"),
        ("", "link"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(raw: str, fragment: str) -> None:
    normalised, problem = knowledge.check_url(raw)
    assert normalised is None
    assert problem is not None and fragment in problem


_segment = st.text(alphabet="abcxyz09-_.~", min_size=1, max_size=8)
_host = st.lists(st.text(alphabet="abcdefghij0123456789", min_size=1, max_size=6), min_size=1, max_size=3).map(".".join)


@given(
    host=_host,
    path=st.lists(_segment, max_size=3),
    params=st.dictionaries(st.text(alphabet="abcdq", min_size=1, max_size=4), _segment, max_size=3),
    utm=st.booleans(),
    slash=st.booleans(),
    upper=st.booleans(),
)
def test_equivalent_urls_normalise_to_one_key_and_normalising_is_idempotent(
    host: str, path: list[str], params: dict[str, str], utm: bool, slash: bool, upper: bool
) -> None:
    base = f"https://{host}/" + "/".join(path)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    plain = f"{base}?{query}" if query else base
    shuffled_query = "&".join(f"{k}={v}" for k, v in reversed(list(params.items())))
    variant = f"https://{host.upper() if upper else host}:443/" + "/".join(path) + ("/" if slash else "")
    extras = [q for q in (shuffled_query, "utm_source=news" if utm else "") if q]
    variant += ("?" + "&".join(extras) if extras else "") + "#section"
    once = knowledge.normalise_url(plain)
    assert knowledge.normalise_url(variant) == once
    assert knowledge.normalise_url(once) == once


def test_tags_are_inferred_from_the_taxonomy() -> None:
    taxonomy = default_taxonomy()
    assert knowledge.infer_tags("a great read on System-Design /posts/machine-learning-101", taxonomy) == [
        "system design",
        "machine learning",
    ]


def test_builders_pass_slacks_own_validation() -> None:
    View(
        **build_share_modal(taxonomy=default_taxonomy(), pair_id=3, goals=("python", "become a manager"))
    ).validate_json()
    item = knowledge.ResourceItem(1, "https://example.com/x", "Example: x" * 30, ("python",), 2, BOB.user_id)
    validate_blocks(resource_list_message([item] * 15, skill="python", viewer=BOB.user_id, coordinator=False)["blocks"])
    validate_blocks(resource_suggestion_blocks([item] * 3))
    assert resource_suggestion_blocks([]) == []


# ------------------------------------------------------------------ through Slack


def _resources(app: RunningApp) -> list[Resource]:
    with app.sessions() as session:
        return list(session.exec(select(Resource)).all())


def test_share_in_the_pair_dm_saves_tags_sharer_pair_and_posts_to_the_pair(app_any_db: RunningApp) -> None:
    app = app_any_db
    pair = alice_and_bob(app)
    answer = command(
        app,
        BOB.user_id,
        "share <https://Example.com/guides/system-design/?utm_source=x|link> Read the intro first",
        channel_id=pair.channel_id,
    )
    assert "Saved" in answer["text"] and answer.get("response_type") == "ephemeral"
    post = app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == pair.channel_id)
    assert "https://example.com/guides/system-design" in post.args["text"]
    assert "Read the intro first" in str(post.args["blocks"])
    [resource] = _resources(app)
    assert resource.url == "https://example.com/guides/system-design"
    assert resource.tags == ["system design"]
    assert resource.shared_by == BOB.user_id and resource.recommend_count == 1
    with app.sessions() as session:
        [share] = session.exec(select(ResourceShare)).all()
        assert share.pair_id == pair.id and share.goal == "system design"
        assert store.seen_resource_ids(session=session, pair_id=pair.id) == {resource.id}

    # the same URL in another spelling, by the mentee: one resource, two recommendations
    again = command(
        app, ALICE.user_id, "share https://EXAMPLE.com:443/guides/system-design#top", channel_id=pair.channel_id
    )
    assert "already in the library" in again["text"]
    [resource] = _resources(app)
    assert resource.recommend_count == 2
    # the same person sharing it again in the same pair does not count twice
    command(app, ALICE.user_id, "share https://example.com/guides/system-design", channel_id=pair.channel_id)
    assert _resources(app)[0].recommend_count == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("share javascript:alert(1)", "Only http:// and https://"),
        ("share https://bob:hunter2@example.com/x", "user name or password"),
        ("share https://example.com/" + "a" * 2100, "too long"),
        ("share https://example.com/ok " + "n" * 600, "500 characters"),
    ],
)
def test_bad_shares_by_command_get_a_clear_ephemeral_answer_and_store_nothing(
    app: RunningApp, text: str, expected: str
) -> None:
    alice_and_bob(app)
    answer = command(app, BOB.user_id, text)
    assert expected in answer["text"] and answer["response_type"] == "ephemeral"
    assert _resources(app) == []


def test_share_modal_refuses_bad_input_inline_then_saves_chosen_tags_and_goal(app: RunningApp) -> None:
    pair = alice_and_bob(app)
    app.driver.slash_command(BOB.user_id, "share", channel_id=pair.channel_id)
    app.sandbox.wait_for("views.open")
    view = app.sandbox.views_opened(BOB.user_id)[-1]
    assert view["callback_id"] == ids.SHARE_VIEW and view["private_metadata"] == str(pair.id)
    bad = fill.text(view, ids.SHARE_URL, "javascript:alert(document.cookie)") | fill.text(
        view, ids.SHARE_NOTE, "x" * 501
    )
    response = app.driver.view_submission(BOB.user_id, view, bad)
    errors = response.json()["errors"]
    assert set(errors) == {ids.SHARE_URL, ids.SHARE_NOTE}
    assert "http" in errors[ids.SHARE_URL] and "500" in errors[ids.SHARE_NOTE]
    time.sleep(0.2)
    assert _resources(app) == []

    good = (
        fill.text(view, ids.SHARE_URL, "https://sre.google/sre-book/table-of-contents/")
        | fill.text(view, ids.SHARE_TITLE, "The SRE book")
        | fill.text(view, ids.SHARE_NOTE, "Chapter 3 on risk")
        | fill.many(view, ids.SHARE_TAGS, ["distributed systems", "devops"])
        | fill.one(view, ids.SHARE_GOAL, "system design")
    )
    first = app.driver.view_submission(BOB.user_id, view, good)
    second = app.driver.view_submission(BOB.user_id, view, good)  # double click
    assert first.status == second.status == 200 and not first.body.strip()
    app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == pair.channel_id)
    time.sleep(0.2)
    [resource] = _resources(app)
    assert (resource.title, resource.tags, resource.recommend_count) == (
        "The SRE book",
        ["distributed systems", "devops"],
        1,
    )
    with app.sessions() as session:
        assert session.exec(select(ResourceShare)).one().goal == "system design"
    assert len([c for c in app.sandbox.calls_for("chat.postMessage") if c.args.get("channel") == pair.channel_id]) == 1


def test_modal_metadata_for_someone_elses_pair_is_not_trusted(app: RunningApp) -> None:
    pair = alice_and_bob(app)
    from tests.test_knowledge_support import CAROL

    seed_person(app, CAROL)
    view = build_share_modal(taxonomy=default_taxonomy(), pair_id=pair.id, goals=("python",))
    values = fill.text(view, ids.SHARE_URL, "https://example.com/a")
    assert app.driver.view_submission(CAROL.user_id, view, values).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == CAROL.user_id)
    with app.sessions() as session:
        assert session.exec(select(ResourceShare)).one().pair_id == 0
    assert not app.sandbox.messages_in(pair.channel_id)


def test_resources_lists_by_skill_most_recommended_first_and_removal_is_checked(app: RunningApp) -> None:
    pair = alice_and_bob(app)
    from tests.test_knowledge_support import CAROL

    seed_person(app, CAROL)
    command(app, BOB.user_id, "share https://a.example/python-tips")
    command(app, CAROL.user_id, "share https://b.example/python-internals")
    command(app, ALICE.user_id, "share https://b.example/python-internals", channel_id=pair.channel_id)
    command(app, BOB.user_id, "share https://c.example/public-speaking")
    listing = command(app, BOB.user_id, "resources python")
    text = str(listing["blocks"])
    assert text.index("b.example") < text.index("a.example") and "c.example" not in text
    # Remove is offered only on Bob's own entry
    removable = [b["value"] for b in buttons(listing["blocks"]) if b["action_id"] == ids.RESOURCE_REMOVE]
    with app.sessions() as session:
        mine = session.exec(select(Resource).where(Resource.url == "https://a.example/python-tips")).one()
        theirs = session.exec(select(Resource).where(Resource.url == "https://b.example/python-internals")).one()
    assert removable == [str(mine.id)]

    # a forged click on Carol's resource is refused server-side
    app.driver.block_action(BOB.user_id, ids.RESOURCE_REMOVE, value=str(theirs.id), channel_id="C0GENERAL")
    deadline = time.monotonic() + 5
    while not any("Only the person" in str(r.payload) for r in app.sandbox.responses) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert any("Only the person who shared it" in str(r.payload) for r in app.sandbox.responses)
    assert len(_resources(app)) == 3
    # the sharer and a coordinator can
    app.driver.block_action(BOB.user_id, ids.RESOURCE_REMOVE, value=str(mine.id), channel_id="C0GENERAL")
    app.driver.block_action(COORDINATOR, ids.RESOURCE_REMOVE, value=str(theirs.id), channel_id="C0GENERAL")
    deadline = time.monotonic() + 5
    while len(_resources(app)) > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [r.url for r in _resources(app)] == ["https://c.example/public-speaking"]


def test_upvote_counts_once_per_person(app: RunningApp) -> None:
    alice_and_bob(app)
    command(app, BOB.user_id, "share https://a.example/python-tips")
    [resource] = _resources(app)
    for _ in range(2):
        app.driver.block_action(ALICE.user_id, ids.RESOURCE_UPVOTE, value=str(resource.id), channel_id="C0GENERAL")
    deadline = time.monotonic() + 5
    while sum("recommend" in str(r.payload) for r in app.sandbox.responses) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _resources(app)[0].recommend_count == 2


def test_non_participants_cannot_share(app: RunningApp) -> None:
    answer = command(app, "U0STRANGER", "share https://example.com")
    assert "/mentor join" in answer["text"]
    assert _resources(app) == []


def test_suggest_resources_matches_goals_skips_seen_and_records(app_any_db: RunningApp) -> None:
    app = app_any_db
    pair = alice_and_bob(app)  # Alice wants python, system design, kite surfing; goal: staff or principal engineer
    from tests.test_knowledge_support import CAROL

    seed_person(app, CAROL)
    urls = {
        "https://r.example/python-one": 1,
        "https://r.example/system-design-two": 3,
        "https://r.example/writing-three": 2,  # behind the career goal (weight 0.5)
        "https://r.example/python-four": 1,
        "https://r.example/sales-five": 5,  # not a goal of Alice's
    }
    now = app.services.now()
    with app.sessions() as session:
        for url, count in urls.items():
            for n in range(count):
                knowledge.share_resource(
                    session=session,
                    team_id=TEAM_ID,
                    user_id=f"U0SHARER{n:02d}",
                    url=url,
                    taxonomy=default_taxonomy(),
                    now=now,
                )
        # Carol shared one in the pair: the pair has seen it
        knowledge.share_resource(
            session=session,
            team_id=TEAM_ID,
            user_id=CAROL.user_id,
            url="https://r.example/python-seen",
            taxonomy=default_taxonomy(),
            now=now,
        )
        store.mark_seen(
            session=session,
            team_id=TEAM_ID,
            pair_id=pair.id,
            resource_ids=[
                store.get_resource_by_hash(
                    session=session, team_id=TEAM_ID, url_hash=knowledge.url_hash("https://r.example/python-seen")
                ).id
            ],
            how="shared",
            now=now,
        )
        session.commit()
        first = knowledge.suggest_resources(session=session, team_id=TEAM_ID, pair_id=pair.id)
        second = knowledge.suggest_resources(session=session, team_id=TEAM_ID, pair_id=pair.id)
        third = knowledge.suggest_resources(session=session, team_id=TEAM_ID, pair_id=pair.id)
        recorded = session.exec(select(ResourceSeen).where(ResourceSeen.how == "suggested")).all()
    # best overlap first, then most recommended, then newest
    assert [r.url for r in first] == [
        "https://r.example/system-design-two",
        "https://r.example/python-four",
        "https://r.example/python-one",
    ]
    assert [r.url for r in second] == ["https://r.example/writing-three"]
    assert third == []
    assert {r.resource_id for r in recorded} == {r.id for r in first + second}
    assert all(r.pair_id == pair.id for r in recorded)


def test_kickoff_suggests_library_resources_matching_the_goals_and_offers_share(app: RunningApp) -> None:
    from datetime import UTC, datetime

    from tests.helpers import sign_up

    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator", tz="Europe/Berlin")
    for person in (ALICE, BOB):
        sign_up(app, person)
    url = "https://example.com/python-testing-guide"
    with app.sessions() as session:
        store.add_share(
            session=session,
            team_id=TEAM_ID,
            url=url,
            url_hash=knowledge.url_hash(knowledge.normalise_url(url)),
            title="Python testing guide",
            tags=["python"],
            user_id="U0SOMEONE9",  # not the pair: what either of them shared counts as seen
            now=datetime.now(UTC),
        )
        session.commit()
    answer = app.driver.slash_command(COORDINATOR, f"pair <@{ALICE.user_id}> <@{BOB.user_id}>").json()
    assert "Paired" in answer["text"]
    kickoff = app.sandbox.wait_for(
        "chat.postMessage", lambda c: "Meet your mentorship partner" in c.args.get("text", "")
    )
    blocks = str(kickoff.args["blocks"])
    assert url in blocks and "From the program's library" in blocks
    assert ids.SHARE_OPEN in blocks


def test_the_closure_summary_lists_the_resources_the_pair_shared(app: RunningApp) -> None:
    from bot.dispatch import Dispatcher
    from bot.outbox import schedule_prompt
    from bot.views.journey import closure_message
    from storage.vocab import PromptKind

    pair = alice_and_bob(app)
    command(app, BOB.user_id, "share https://example.com/guides/system-design Read this", channel_id=pair.channel_id)
    command(app, ALICE.user_id, "share https://example.com/talks/python-internals", channel_id=pair.channel_id)
    command(app, ALICE.user_id, "share https://example.com/guides/system-design", channel_id=pair.channel_id)
    now = app.services.now()
    with app.sessions() as session:
        schedule_prompt(
            session=session,
            team_id=TEAM_ID,
            key=f"closure:{pair.id}:test",
            kind=PromptKind.CLOSURE,
            due_at=now,
            recipient_user_id=ALICE.user_id,
            pair_id=pair.id,
            channel_id=pair.channel_id,
        )
        session.commit()
    Dispatcher(app.services).run_until_idle(now)
    closing = app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == pair.channel_id and "wrapped up" in str(c.args.get("blocks")),
    )
    blocks = str(closing.args["blocks"])
    assert "*Resources shared:* 2" in blocks  # the same link shared twice is one resource
    assert blocks.index("example.com/guides/system-design") < blocks.index("example.com/talks/python-internals")
    # many long links still fit Slack's section limit and say how many more there were
    many = [(f"Guide {n} <&>", "https://example.com/" + "x" * 1500 + str(n)) for n in range(8)]
    message = closure_message(pair_id=1, meetings=0, minutes=0, goals=[], early=False, resources=many)
    validate_blocks(message["blocks"])
    assert "*Resources shared:* 8" in str(message["blocks"]) and "_and 7 more_" in str(message["blocks"])
    assert "Guide 0 &lt;&amp;&gt;" in str(message["blocks"])
