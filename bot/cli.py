"""The `mentorbot` command: run | demo | db upgrade | import | match | learn | score | outcomes."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, configure_logging, load_env, load_settings

log = logging.getLogger("mentorbot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mentorbot", description="Run a mentorship program in Slack.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="serve a real Slack workspace (Socket Mode or HTTP)")
    run.add_argument("--workers", type=int, default=None, help="gunicorn workers (HTTP mode; default 1 on SQLite)")

    demo = sub.add_parser("demo", help="run a simulated workspace against the built-in Slack sandbox")
    demo.add_argument("--people", type=int, default=12, help="how many simulated people sign up (default 12)")
    demo.add_argument("--seed", type=int, default=7, help="random seed for the simulated workspace")
    demo.add_argument("--record", type=Path, default=None, help="write every Web API call as JSON Lines to FILE")
    demo.add_argument("--days", type=int, default=180, help="how many simulated days the program runs")
    demo.add_argument("--database", default=None, help="database URL (default: a fresh SQLite file)")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations up to the newest")

    imp = sub.add_parser("import", help="import HR fields (manager, department, ...) from a CSV into profiles")
    imp.add_argument("file", type=Path, help="people.csv with user_id or email, manager, department, ...")
    imp.add_argument("--team", default=None, help="workspace id (default: the only one in the database)")
    imp.add_argument(
        "--yes", action="store_true", help="import the rows without problems even when other rows have some"
    )

    match = sub.add_parser("match", help="match people from a CSV file, without Slack")
    match.add_argument("--input", type=Path, required=True, help="people.csv (format: see README)")
    match.add_argument("--output", type=Path, required=True, help="where to write pairs.csv")

    learn = sub.add_parser("learn", help="fit a pair-scoring model to past outcomes (grouped cross-validation)")
    learn.add_argument("--outcomes", type=Path, required=True, help="outcomes.csv (format: see README)")
    learn.add_argument("--output", type=Path, required=True, help="where to write model.json")
    learn.add_argument("--seed", type=int, default=0, help="random seed of the folds and intervals (default 0)")
    learn.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    learn.add_argument("--chart", type=Path, default=None, help="also draw each factor's learned effect to a PNG")

    score = sub.add_parser("score", help="score pairs from a CSV file with the default weights or a model")
    score.add_argument("--pairs", type=Path, required=True, help="pairs.csv (outcomes.csv format, outcome optional)")
    score.add_argument("--model", type=Path, default=None, help="model.json from `mentorbot learn`")
    score.add_argument("--output", type=Path, required=True, help="where to write scored.csv")

    outcomes = sub.add_parser("outcomes", help="export the program's closed, labelled pairs as outcomes.csv")
    outcomes.add_argument("--output", type=Path, required=True, help="where to write outcomes.csv")
    outcomes.add_argument("--team", default=None, help="workspace id (default: the only one in the database)")
    outcomes.add_argument("--cohort", default=None, help="only this cohort (default: every cohort)")
    return parser


def _database_settings(env: dict[str, str]):  # type: ignore[no-untyped-def]
    return load_settings(env, require_slack=False)


def cmd_db_upgrade(env: dict[str, str]) -> int:
    from storage.db import make_engine
    from storage.migrate import current_revision, upgrade

    settings = _database_settings(env)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    log.info("database upgraded revision=%s", current_revision(engine))
    return 0


def cmd_run(env: dict[str, str], workers: int | None) -> int:
    settings = load_settings(env)
    from slack_sdk.errors import SlackApiError

    from bot.app import build_app, build_client
    from bot.dispatch import Dispatcher, shutdown, start_scheduler
    from bot.server import SlackWSGI, serve_gunicorn, serve_socket_mode
    from bot.services import Services
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade

    configure_logging(
        settings.log_level,
        env.get("LOG_FORMAT"),
        secrets=tuple(
            v
            for v in (
                settings.signing_secret,
                settings.bot_token,
                settings.app_token,
                settings.pseudonym_key_value,
                settings.metrics_token,
            )
            if v
        ),
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    if settings.pseudonym_key_derived:
        log.warning(
            "PSEUDONYM_KEY is not set: pseudonyms are keyed from SLACK_SIGNING_SECRET; set PSEUDONYM_KEY so that "
            "regenerating the signing secret never changes them"
        )
    if not settings.socket_mode and not settings.metrics_token and settings.metrics_port is None:
        log.warning("GET /metrics is open on PORT: set METRICS_TOKEN or METRICS_PORT to restrict it")

    def build() -> tuple[Services, object]:
        worker_engine = make_engine(settings.database_url)
        services = Services(
            settings=settings,
            engine=worker_engine,
            sessions=session_factory(worker_engine),
            client=build_client(settings),
        )
        return services, build_app(services)

    try:
        services, app = build()
    except SlackApiError as exc:
        raise ConfigError(
            f"SLACK_BOT_TOKEN was refused by Slack ({exc.response.get('error')}): reinstall the app and copy the "
            "Bot User OAuth Token again"
        ) from None
    from bot.coordinators import check_channel_at_startup

    check_channel_at_startup(services)
    if settings.socket_mode:
        log.info("starting in Socket Mode")
        dispatcher = Dispatcher(services, owner=f"{socket.gethostname()}:{os.getpid()}")
        scheduler = start_scheduler(dispatcher)
        try:
            serve_socket_mode(app, settings.app_token or "")  # type: ignore[arg-type]
        finally:
            shutdown(scheduler, dispatcher)
        return 0
    sqlite = settings.database_url.startswith("sqlite")
    count = workers or (1 if sqlite else int(os.environ.get("WEB_CONCURRENCY", "2")))
    if sqlite and count > 1:
        raise ConfigError("DATABASE_URL is SQLite, which has a single writer: use PostgreSQL to run several workers")
    log.info("starting HTTP mode port=%s workers=%s", settings.port, count)
    del app  # each gunicorn worker builds its own after the fork

    running: list[tuple[object, object]] = []

    def factory() -> SlackWSGI:
        worker_services, worker_app = build()
        dispatcher = Dispatcher(worker_services, owner=f"{socket.gethostname()}:{os.getpid()}")
        running.append((start_scheduler(dispatcher), dispatcher))
        return SlackWSGI(worker_app, worker_services)  # type: ignore[arg-type]

    def drain() -> None:
        for scheduler, dispatcher in running:
            shutdown(scheduler, dispatcher)  # type: ignore[arg-type]

    serve_gunicorn(factory, port=settings.port, workers=count, on_worker_exit=drain, metrics_port=settings.metrics_port)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    configure_logging("WARNING", "text")  # the transcript is the output; warnings and errors still show

    return run_demo(people=args.people, seed=args.seed, record=args.record, days=args.days, database_url=args.database)


def cmd_import(env: dict[str, str], args: argparse.Namespace) -> int:
    from bot.hr_import import import_people
    from bot.views.words import counted
    from storage import coordination
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade
    from storage.types import utcnow

    settings = _database_settings(env)
    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        print(f"mentorbot: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_factory(engine)() as session:
        team = args.team
        if team is None:
            teams = coordination.known_teams(session=session)
            if len(teams) != 1:
                print(
                    f"mentorbot: pass --team (workspaces in the database: {', '.join(teams) or 'none'})",
                    file=sys.stderr,
                )
                return 2
            team = teams[0]

        def run(confirmed: bool):  # type: ignore[no-untyped-def]
            return import_people(
                session=session,
                team_id=team,
                raw=raw,
                actor="cli",
                now=utcnow(),
                source=str(args.file),
                confirmed=confirmed,
            )

        report = run(args.yes)
        if report.plan.needs_confirmation and not report.applied:
            rows = len(report.plan.updates)
            if sys.stdin.isatty():
                print(report.summary(limit=1000))
                answer = input(f"Import the other {counted(rows, 'row')}? [y/N] ").strip().lower()
                if answer in ("y", "yes"):
                    report = run(True)
                    print(report.summary(limit=1000))
                return 0 if report.applied else 1
            print(report.summary(limit=1000, confirm_hint="Run again with --yes to import them."))
            return 1
    print(report.summary(limit=1000))
    return 0 if report.applied or not (report.plan.problems or report.plan.refused) else 1


def cmd_match(args: argparse.Namespace) -> int:
    from bot.matching.offline import run_offline

    return run_offline(args.input, args.output, stream=sys.stdout)


def cmd_learn(args: argparse.Namespace) -> int:
    from bot.matching.outcome_files import run_learn

    if not 2 <= args.folds <= 20:
        print("mentorbot: --folds must be from 2 to 20", file=sys.stderr)
        return 2
    return run_learn(
        args.outcomes, args.output, stream=sys.stdout, seed=args.seed, folds=args.folds, chart_path=args.chart
    )


def cmd_score(args: argparse.Namespace) -> int:
    from bot.matching.outcome_files import run_score

    return run_score(args.pairs, args.output, stream=sys.stdout, model_path=args.model)


def cmd_outcomes(env: dict[str, str], args: argparse.Namespace) -> int:
    from bot.outcomes import export_outcomes
    from storage import coordination
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade

    settings = _database_settings(env)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_factory(engine)() as session:
        team = args.team
        if team is None:
            teams = coordination.known_teams(session=session)
            if len(teams) != 1:
                print(
                    f"mentorbot: pass --team (workspaces in the database: {', '.join(teams) or 'none'})",
                    file=sys.stderr,
                )
                return 2
            team = teams[0]
        cohort_id = None
        if args.cohort:
            cohort = coordination.find_cohort_by_name(session=session, team_id=team, name=args.cohort)
            if cohort is None:
                print(f"mentorbot: no cohort is called {args.cohort!r}", file=sys.stderr)
                return 2
            cohort_id = cohort.id
        export = export_outcomes(session=session, team_id=team, cohort_id=cohort_id)
    args.output.write_text(export.csv, encoding="utf-8")
    print(export.summary())
    print(f"wrote {args.output}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    env = load_env()
    try:
        level = load_settings(env, require_slack=False).log_level
        configure_logging(level, env.get("LOG_FORMAT"))
        if args.command == "run":
            return cmd_run(env, args.workers)
        if args.command == "db":
            return cmd_db_upgrade(env)
        if args.command == "demo":
            return cmd_demo(args)
        if args.command == "import":
            return cmd_import(env, args)
        if args.command == "match":
            return cmd_match(args)
        if args.command == "learn":
            return cmd_learn(args)
        if args.command == "score":
            return cmd_score(args)
        if args.command == "outcomes":
            return cmd_outcomes(env, args)
    except ConfigError as exc:
        print(f"mentorbot: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
