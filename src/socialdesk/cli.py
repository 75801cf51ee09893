"""The ``socialdesk`` command line (Typer). Every command migrates the database first."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from socialdesk.bootstrap import App, bootstrap
from socialdesk.domain.errors import SocialdeskError

cli = typer.Typer(
    help="socialdesk: social customer care, one inbox for public posts and private messages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
import_cli = typer.Typer(help="Import history from files.", no_args_is_help=True)
report_cli = typer.Typer(
    help="Reports computed from stored messages and events.", no_args_is_help=True
)
token_cli = typer.Typer(help="API tokens for the REST API.", no_args_is_help=True)
user_cli = typer.Typer(help="Agents, supervisors and admins.", no_args_is_help=True)
sandbox_cli = typer.Typer(
    help="The training sandbox channel (no network needed).", no_args_is_help=True
)
cli.add_typer(import_cli, name="import")
cli.add_typer(report_cli, name="report")
cli.add_typer(token_cli, name="token")
cli.add_typer(user_cli, name="user")
cli.add_typer(sandbox_cli, name="sandbox")
channels_cli = typer.Typer(
    help="Channel accounts: connect platforms, pause and resume them.", no_args_is_help=True
)
cli.add_typer(channels_cli, name="channels")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def application() -> Iterator[App]:
    """The composition root for one command; domain errors become clear messages."""
    try:
        app = bootstrap()
    except Exception as exc:  # an unreachable database, a bad URL
        raise fail(f"cannot open the database: {exc}") from exc
    try:
        yield app
    except SocialdeskError as exc:
        raise fail(exc.detail) from exc
    finally:
        app.db.dispose()


def workspace_id(app: App, slug: str, *, create: bool = False) -> int:
    from socialdesk.services.workspaces import get_or_create_workspace, get_workspace

    with app.db.session() as session:
        ws = get_or_create_workspace(session, slug) if create else get_workspace(session, slug)
        return ws.id


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``24h``, ``2d`` or plain seconds."""
    match = _DURATION.match(text)
    if not match:
        raise typer.BadParameter(f"{text!r} is not a duration such as 30m, 24h or 2d")
    value, unit = float(match.group(1)), match.group(2) or "s"
    seconds = value * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    if seconds <= 0:
        raise typer.BadParameter("the duration must be positive")
    return timedelta(seconds=seconds)


# -- set-up ---------------------------------------------------------------------------------
@cli.command()
def init(
    workspace: WorkspaceOpt = "default",
    admin_email: Annotated[str | None, typer.Option(help="Create this admin user.")] = None,
    admin_password: Annotated[str | None, typer.Option(help="Password for the admin.")] = None,
) -> None:
    """Create or upgrade the database and a workspace (and optionally its first admin)."""
    from socialdesk.services.accounts import create_user

    with application() as app:
        ws_id = workspace_id(app, workspace, create=True)
        if admin_email:
            with app.db.session() as session:
                create_user(
                    session,
                    ws_id,
                    email=admin_email,
                    name="Admin",
                    role="admin",
                    password=admin_password,
                )
        out.print(f"database ready at {app.db.url!s} · workspace [bold]{workspace}[/]")


@user_cli.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Sign-in email.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    role: Annotated[str, typer.Option(help="admin, supervisor or agent.")] = "agent",
    password: Annotated[str | None, typer.Option(help="At least 8 characters.")] = None,
    workspace: WorkspaceOpt = "default",
) -> None:
    """Add a user to a workspace."""
    from socialdesk.services.accounts import create_user

    with application() as app:
        ws_id = workspace_id(app, workspace, create=True)
        with app.db.session() as session:
            user = create_user(
                session, ws_id, email=email, name=name or email, role=role, password=password
            )
            out.print(f"user {user.id} {user.email} ({user.role})")


@token_cli.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="What the token is for.")] = "api",
    user: Annotated[str | None, typer.Option(help="Act as this user (email).")] = None,
    workspace: WorkspaceOpt = "default",
) -> None:
    """Create an API token; it is printed once and only its hash is kept."""
    from sqlalchemy import select

    from socialdesk.services.accounts import create_token
    from socialdesk.store.models import User

    with application() as app:
        ws_id = workspace_id(app, workspace, create=True)
        with app.db.session() as session:
            user_id = None
            if user:
                user_id = session.scalar(
                    select(User.id).where(
                        User.workspace_id == ws_id, User.email == user.strip().lower()
                    )
                )
                if user_id is None:
                    raise fail(f"no user {user!r} in workspace {workspace!r}")
            issued = create_token(session, ws_id, name=name, user_id=user_id)
        out.print(issued.secret, highlight=False, soft_wrap=True)


# -- running --------------------------------------------------------------------------------
@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
    workers: Annotated[
        int | None, typer.Option(help="In-process job workers (default: 1 on SQLite).")
    ] = None,
) -> None:
    """Run the web server (REST API, webhooks) with in-process job workers."""
    import uvicorn

    from socialdesk.web.app import create_app

    with application() as app:
        if workers is not None:
            app.settings.embedded_workers = workers
        api = create_app(app)
        bind_host = host or app.settings.host
        bind_port = port or app.settings.port
        out.print(f"socialdesk on http://{bind_host}:{bind_port}  (API docs at /docs)")
        uvicorn.run(
            api, host=bind_host, port=bind_port, log_level="info", timeout_graceful_shutdown=2
        )


@cli.command()
def demo(
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh/--no-fresh",
            help="Delete the demo's own database (var/demo.db) first; --no-fresh keeps it.",
        ),
    ] = True,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
    conversations: Annotated[
        int, typer.Option(min=1, max=5000, help="How many conversations to generate.")
    ] = 300,
    password: Annotated[
        str | None, typer.Option(help="Password of every demo user [default: socialdesk-demo].")
    ] = None,
    seed_only: Annotated[
        bool, typer.Option("--seed-only", help="Generate the data, print the logins and exit.")
    ] = False,
    seed: Annotated[
        int | None, typer.Option(help="Random seed; the same seed, the same data.")
    ] = None,
    workspace: WorkspaceOpt = "default",
) -> None:
    """Fill a demo workspace with a care team and realistic conversations, then serve it."""
    import shutil

    import uvicorn
    from rich.markup import escape
    from sqlalchemy import select

    from socialdesk.config import Settings
    from socialdesk.demo import (
        ACCOUNTS,
        ADMIN_EMAIL,
        DEFAULT_SEED,
        DEMO_PASSWORD,
        STAFF,
        demo_settings,
        remove_sqlite_database,
        seed_demo,
        workspace_has_users,
    )
    from socialdesk.services.accounts import create_token
    from socialdesk.store.models import ChannelAccount, User
    from socialdesk.web.app import create_app

    password = password or DEMO_PASSWORD
    if len(password) < 8:
        raise fail("--password needs at least 8 characters")
    settings, own_file = demo_settings(Settings())
    if own_file is not None and fresh:
        remove_sqlite_database(own_file)
    try:
        app = bootstrap(settings)
    except Exception as exc:  # an unreachable database, a bad URL
        raise fail(f"cannot open the database: {exc}") from exc
    try:
        seeded = workspace_has_users(app, workspace)
        if seeded and fresh:  # only with SOCIALDESK_DATABASE_URL: the own file was just deleted
            raise fail(
                f"workspace {workspace!r} at {app.db.url} already has users and the demo only "
                "fills an empty one: pass --workspace with a new name, or --no-fresh to serve "
                "it as it is"
            )
        if seeded:
            out.print(f"keeping the demo data already in workspace {workspace!r}", highlight=False)
        else:
            progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeRemainingColumn(),
                console=err,
                disable=not sys.stderr.isatty(),
            )
            with progress:
                task = progress.add_task(f"seeding {conversations} conversations", total=None)

                def on_progress(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                summary = seed_demo(
                    app,
                    workspace=workspace,
                    conversations=conversations,
                    password=password,
                    seed=DEFAULT_SEED if seed is None else seed,
                    on_progress=on_progress,
                )
            statuses = ", ".join(
                f"{summary.by_status.get(s, 0)} {s}"
                for s in ("open", "pending", "snoozed", "resolved")
            )
            out.print(
                f"demo data ready: {summary.conversations} conversations ({statuses}), "
                f"{summary.messages:,} messages in {summary.seconds:.1f} s",
                highlight=False,
            )
        ws_id = workspace_id(app, workspace)
        care = ACCOUNTS[-1].handle
        with app.db.session() as session:
            admin_id = session.scalar(
                select(User.id).where(User.workspace_id == ws_id, User.email == ADMIN_EMAIL)
            )
            care_id = session.scalar(
                select(ChannelAccount.id).where(
                    ChannelAccount.workspace_id == ws_id, ChannelAccount.handle == care
                )
            )
            token = create_token(session, ws_id, name="demo", user_id=admin_id).secret
        bind_host = host or app.settings.host
        bind_port = port or app.settings.port
        base = f"http://{bind_host}:{bind_port}"
        prog = "socialdesk"
        if shutil.which(prog) is None and Path(sys.argv[0]).name == prog:
            prog = sys.argv[0]  # e.g. .venv/bin/socialdesk when the venv is not activated
        prefix = f"SOCIALDESK_DATABASE_URL={app.db.url} " if own_file is not None else ""
        ws_flag = f" --workspace {workspace}" if workspace != "default" else ""
        shown_password = (
            password if not seeded else f"the one chosen at seeding ({DEMO_PASSWORD} by default)"
        )
        rows = [
            ("Agent inbox", f"{base}/  (sign in with the login below)"),
            ("Admin login", f"{ADMIN_EMAIL}  password: {shown_password}"),
            (
                "Team",
                ", ".join(f"{m.email} ({m.role})" for m in STAFF if m.email != ADMIN_EMAIL)
                + "  (same password)",
            ),
            ("API docs", f"{base}/docs"),
            ("API token", token),
            ("Try the API", f'curl -H "Authorization: Bearer {token}" {base}/api/v1/conversations'),
            (
                "Be a customer",
                f"{prefix}{prog} sandbox post --account {care} --from @someone{ws_flag} "
                '"My router is blinking red"',
            ),
            (
                "See replies",
                f'curl -H "Authorization: Bearer {token}" '
                f"{base}/api/v1/sandbox/{care_id}/deliveries",
            ),
            ("Database", app.db.url),
        ]
        out.print()
        for label, value in rows:
            out.print(f"  [bold]{label:<14}[/] {escape(value)}", highlight=False)
        out.print()
        if seed_only:
            return
        api = create_app(app)
        out.print(f"socialdesk on {base}  (API docs at /docs); Ctrl-C stops it", highlight=False)
        uvicorn.run(
            api, host=bind_host, port=bind_port, log_level="info", timeout_graceful_shutdown=2
        )
    except SocialdeskError as exc:
        raise fail(exc.detail) from exc
    finally:
        app.db.dispose()


@cli.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Worker threads in this process.")] = 1,
    once: Annotated[bool, typer.Option(help="Drain due jobs, then exit.")] = False,
) -> None:
    """Run job workers (ingest, outbound delivery, timers) until interrupted."""
    import signal
    import threading

    with application() as app:
        if once:
            done = app.run_jobs_until_idle()
            out.print(f"{done} job(s) run")
            return
        app.start_timers()
        workers = [app.worker() for _ in range(max(1, concurrency))]

        def stop(*_args: object) -> None:
            for w in workers:
                w.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        threads = [threading.Thread(target=w.run_forever, daemon=True) for w in workers]
        for thread in threads:
            thread.start()
        err.print(f"{len(workers)} worker(s) running; Ctrl-C stops them")
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)


# -- import and reports ---------------------------------------------------------------------
@import_cli.command("twcs")
def import_twcs_command(
    file: Annotated[Path, typer.Argument(help="A TWCS CSV file (twcs.csv or a re-export).")],
    resolve_after: Annotated[
        str, typer.Option(help="Resolve conversations idle this long in message time.")
    ] = "24h",
    batch_size: Annotated[int, typer.Option(help="Events per transaction.", min=1)] = 5000,
    workspace: WorkspaceOpt = "default",
    enrich: Annotated[
        bool,
        typer.Option(help="Detect language, sentiment and personal data (slower)."),
    ] = False,
) -> None:
    """Import the Customer Support on Twitter format; running it twice adds nothing."""
    from socialdesk.importers.twcs import TwcsFormatError, import_twcs

    if not file.is_file():
        raise fail(f"{file}: no such file")
    after = parse_duration(resolve_after)
    with application() as app:
        ws_id = workspace_id(app, workspace, create=True)
        show = sys.stderr.isatty()
        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.completed:,}/{task.total:,}"),
            TimeRemainingColumn(),
            console=err,
            disable=not show,
            transient=False,
        )
        with progress:
            reading = progress.add_task(f"reading {file.name}", total=None)
            threading_task: list[TaskID] = []

            def on_read(rows: int) -> None:
                progress.update(reading, completed=rows)

            def on_progress(done: int) -> None:
                if not threading_task:
                    progress.update(reading, visible=False)
                    threading_task.append(progress.add_task("threading", total=total_events[0]))
                progress.advance(threading_task[0], done)

            total_events = [0]

            def on_total(total: int) -> None:
                total_events[0] = total

            try:
                report = import_twcs(
                    app.db,
                    ws_id,
                    file,
                    resolve_after=after,
                    batch_size=batch_size,
                    on_read=on_read,
                    on_total=on_total,
                    on_progress=on_progress,
                    enrich=enrich,
                )
            except TwcsFormatError as exc:
                raise fail(f"{file}: {exc}") from exc
            except UnicodeDecodeError as exc:
                raise fail(f"{file}: not UTF-8 text ({exc.reason})") from exc
        for problem in report.problems:
            err.print(f"{file}, {problem}", highlight=False)
        skipped = sum(1 for p in report.problems if p.skipped)
        out.print(
            f"imported {report.stored:,} new message(s) from {report.rows:,} row(s): "
            f"{report.new_conversations:,} new conversation(s), {report.brands} brand account(s), "
            f"{report.duplicates:,} already present, {report.without_conversation:,} without a "
            f"known account, {skipped} malformed row(s) skipped",
            highlight=False,
        )


@report_cli.command("frt")
def report_frt(
    by: Annotated[str, typer.Option(help="Group by: account.")] = "account",
    fmt: Annotated[str, typer.Option("--format", help="json or table.")] = "table",
    workspace: WorkspaceOpt = "default",
) -> None:
    """First response time per channel account (median, in seconds)."""
    from socialdesk.analytics.frt import first_response_by_account

    if by != "account":
        raise fail(f"--by {by!r} is not supported; use --by account")
    if fmt not in ("json", "table"):
        raise fail(f"--format {fmt!r} is not supported; use json or table")
    with application() as app:
        ws_id = workspace_id(app, workspace)
        with app.db.read_session() as session:
            rows = first_response_by_account(session, ws_id)
    if fmt == "json":
        accounts = {row.handle: row.as_dict() for row in rows}
        typer.echo(json.dumps({"accounts": accounts}, indent=2))
        return
    table = Table(title="First response time by account")
    table.add_column("account")
    table.add_column("platform")
    table.add_column("conversations", justify="right")
    table.add_column("responded", justify="right")
    table.add_column("median FRT", justify="right")
    for row in rows:
        median = row.median_first_response_seconds
        table.add_row(
            row.handle,
            row.platform,
            f"{row.conversations:,}",
            f"{row.responded:,}",
            "—" if median is None else _human_seconds(median),
        )
    out.print(table)


def _human_seconds(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


@cli.command()
def analyze(
    file: Annotated[str, typer.Argument(help="A text file with one message per line, or '-'.")],
) -> None:
    """Language, sentiment and personal data of each line, as one JSON object per line."""
    from socialdesk.pipeline.enrichment import analyze_lines

    if file == "-":
        stream = sys.stdin.buffer
    else:
        path = Path(file)
        if not path.is_file():
            raise fail(f"{file}: no such file")
        try:
            stream = path.open("rb")
        except OSError as exc:
            raise fail(f"{file}: cannot read it ({exc.strerror})") from exc

    def decoded() -> Iterator[str]:
        # Decoded line by line, so a bad byte is reported with its line number.
        for number, raw in enumerate(stream, start=1):
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise fail(f"{file}: line {number} is not UTF-8 text ({exc.reason})") from exc

    try:
        for result in analyze_lines(decoded()):
            try:
                typer.echo(json.dumps(result, ensure_ascii=False))
            except BrokenPipeError:  # `socialdesk analyze big.txt | head`
                return
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


# -- sandbox --------------------------------------------------------------------------------
def _sandbox_account(app: App, ws_id: int, account: str) -> int:
    from sqlalchemy import select

    from socialdesk.channels.sandbox import PLATFORM
    from socialdesk.store.models import ChannelAccount

    with app.db.read_session() as session:
        query = select(ChannelAccount.id).where(
            ChannelAccount.workspace_id == ws_id, ChannelAccount.platform == PLATFORM
        )
        if account.isdigit():
            query = query.where(ChannelAccount.id == int(account))
        else:
            query = query.where(ChannelAccount.handle == account.lstrip("@"))
        found = session.scalar(query)
    if found is None:
        raise fail(
            f"no sandbox account {account!r}; create one with "
            "`socialdesk sandbox account --name NAME --handle HANDLE`"
        )
    return found


@sandbox_cli.command("account")
def sandbox_account(
    name: Annotated[str, typer.Option(help="Brand name shown to agents.")],
    handle: Annotated[str, typer.Option(help="The brand's handle in the sandbox.")],
    workspace: WorkspaceOpt = "default",
) -> None:
    """Create a sandbox channel account (prints its id)."""
    from socialdesk.services.sandbox import create_sandbox_account

    with application() as app:
        ws_id = workspace_id(app, workspace, create=True)
        with app.db.session() as session:
            account = create_sandbox_account(session, ws_id, name=name, handle=handle)
            out.print(str(account.id))


def _inject(
    kind: str,
    account: str,
    sender: str,
    text: str,
    followers: int | None,
    name: str | None,
    reply_to: str | None,
    message_id: str | None,
    workspace: str,
) -> None:
    from socialdesk.channels.sandbox import SandboxCustomer
    from socialdesk.services.sandbox import inject

    with application() as app:
        ws_id = workspace_id(app, workspace)
        account_id = _sandbox_account(app, ws_id, account)
        handle = sender.lstrip("@")
        customer = SandboxCustomer(
            id=f"user-{handle.lower()}", handle=handle, name=name, followers=followers
        )
        with app.db.session() as session:
            injected = inject(
                session,
                ws_id,
                account_id,
                kind=kind,
                customer=customer,
                text=text,
                reply_to=reply_to,
                message_id=message_id,
            )
        app.run_jobs_until_idle()
        verdict = "already received" if injected.duplicate else "received"
        out.print(f"{injected.message_id} {verdict}", highlight=False)


SenderOpt = Annotated[str, typer.Option("--from", help="The customer's handle.")]
AccountOpt = Annotated[str, typer.Option(help="Sandbox account id or handle.")]


@sandbox_cli.command("post")
def sandbox_post(
    text: Annotated[str, typer.Argument(help="What the customer posts publicly.")],
    sender: SenderOpt,
    account: AccountOpt,
    followers: Annotated[int | None, typer.Option(min=0)] = None,
    name: Annotated[str | None, typer.Option(help="The customer's display name.")] = None,
    reply_to: Annotated[str | None, typer.Option(help="Platform id replied to.")] = None,
    message_id: Annotated[str | None, typer.Option(help="Platform id (default: new).")] = None,
    workspace: WorkspaceOpt = "default",
) -> None:
    """A customer posts publicly, mentioning the sandbox brand."""
    _inject("post", account, sender, text, followers, name, reply_to, message_id, workspace)


@sandbox_cli.command("dm")
def sandbox_dm(
    text: Annotated[str, typer.Argument(help="What the customer writes privately.")],
    sender: SenderOpt,
    account: AccountOpt,
    followers: Annotated[int | None, typer.Option(min=0)] = None,
    name: Annotated[str | None, typer.Option(help="The customer's display name.")] = None,
    reply_to: Annotated[str | None, typer.Option(help="Platform id replied to.")] = None,
    message_id: Annotated[str | None, typer.Option(help="Platform id (default: new).")] = None,
    workspace: WorkspaceOpt = "default",
) -> None:
    """A customer sends the sandbox brand a private message."""
    _inject("dm", account, sender, text, followers, name, reply_to, message_id, workspace)


@sandbox_cli.command("outbox")
def sandbox_outbox(
    account: AccountOpt,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    workspace: WorkspaceOpt = "default",
) -> None:
    """What the sandbox platform received from agents, newest first."""
    from socialdesk.services.sandbox import sandbox_deliveries

    with application() as app:
        ws_id = workspace_id(app, workspace)
        account_id = _sandbox_account(app, ws_id, account)
        app.run_jobs_until_idle()
        with app.db.read_session() as session:
            rows = sandbox_deliveries(session, ws_id, account_id, limit=limit)
        for row in rows:
            typer.echo(
                json.dumps(
                    {
                        "platform_message_id": row.platform_message_id,
                        "visibility": row.visibility,
                        "recipient": row.recipient,
                        "reply_to": row.reply_to_platform_id,
                        "text": row.text,
                        "at": row.created_at.isoformat(),
                    },
                    ensure_ascii=False,
                )
            )


# -- channel accounts -----------------------------------------------------------------------
def _key_values(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise fail(f"--set {pair!r} is not KEY=VALUE")
        values[key.strip()] = value
    return values


@channels_cli.command("add")
def channels_add(
    platform: Annotated[
        str,
        typer.Argument(
            help="The platform: sandbox, twitter, facebook, instagram, whatsapp, telegram, "
            "sms, email, webchat, reddit or youtube."
        ),
    ],
    name: Annotated[str, typer.Option(help="The account's name, shown to agents.")],
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="A connection key (repeat); secrets are stored encrypted. "
            "twitter: handle, external_id, consumer_secret, access_token [, api_base_url]; "
            "the admin page (/admin/channels) describes every platform's keys.",
        ),
    ] = None,
    workspace: WorkspaceOpt = "default",
) -> None:
    """Connect a channel account (prints its id)."""
    from socialdesk.services.channel_accounts import connect_account

    values = _key_values(settings or [])
    with application() as app:
        channel = app.channels.get(platform)
        if channel is None:
            raise fail(
                f"unknown platform {platform!r}: connectors exist for "
                f"{', '.join(sorted(app.channels))}"
            )
        spec = channel.connection
        missing = spec.missing(values)
        if missing:
            raise fail(
                f"{platform} needs {', '.join(missing)}: missing; add "
                + " ".join(f"--set {key}=..." for key in missing)
            )
        ws_id = workspace_id(app, workspace, create=True)
        with app.db.session() as session:
            account = connect_account(
                session, ws_id, spec, name=name, values=values, cipher=app.cipher
            )
            out.print(str(account.id))


@channels_cli.command("list")
def channels_list(workspace: WorkspaceOpt = "default") -> None:
    """The workspace's channel accounts (never their credentials)."""
    from socialdesk.services.workspaces import list_accounts

    with application() as app:
        ws_id = workspace_id(app, workspace)
        with app.db.read_session() as session:
            accounts = list_accounts(session, ws_id)
    table = Table(title="Channel accounts")
    for column in ("id", "platform", "handle", "name", "external id", "state"):
        table.add_column(column)
    for account in accounts:
        table.add_row(
            str(account.id),
            account.platform,
            f"@{account.handle}",
            account.name,
            account.external_id or "",
            "paused" if account.is_paused else "active",
        )
    out.print(table)


AccountIdArg = Annotated[int, typer.Argument(help="The channel account's id.", min=1)]


@channels_cli.command("pause")
def channels_pause(account_id: AccountIdArg, workspace: WorkspaceOpt = "default") -> None:
    """Stop processing and sending for an account; its webhooks are still stored."""
    from socialdesk.services.channel_accounts import pause_account

    with application() as app:
        ws_id = workspace_id(app, workspace)
        with app.db.session() as session:
            account = pause_account(session, ws_id, account_id)
            out.print(f"channel account {account.id} @{account.handle} paused", highlight=False)


@channels_cli.command("resume")
def channels_resume(account_id: AccountIdArg, workspace: WorkspaceOpt = "default") -> None:
    """Resume an account: what arrived meanwhile is processed and waiting replies are sent."""
    from socialdesk.services.channel_accounts import resume_account

    with application() as app:
        ws_id = workspace_id(app, workspace)
        with app.db.session() as session:
            account = resume_account(session, ws_id, account_id)
            out.print(f"channel account {account.id} @{account.handle} resumed", highlight=False)


# What to paste into each platform's console, for platforms socialdesk cannot register itself.
# (where, what) lines; {url} is the webhook address, secrets are named, never printed.
_WEBHOOK_STEPS: dict[str, list[tuple[str, str]]] = {
    "twitter": [
        ("X developer portal > your app > Account Activity webhook", "URL: {url}"),
        ("then subscribe the brand's account", "CRC checks are signed with consumer_secret"),
    ],
    "facebook": [
        ("Meta app dashboard > Webhooks > Page", "Callback URL: {url}"),
        ("Verify Token", "the account's verify_token (as given to channels add)"),
        (
            "Subscribe to fields",
            "feed, messages, message_deliveries, message_reads, message_echoes",
        ),
    ],
    "instagram": [
        ("Meta app dashboard > Webhooks > Instagram", "Callback URL: {url}"),
        ("Verify Token", "the account's verify_token (as given to channels add)"),
        ("Subscribe to fields", "comments, messages"),
    ],
    "whatsapp": [
        ("Meta app dashboard > WhatsApp > Configuration", "Callback URL: {url}"),
        ("Verify Token", "the account's verify_token (as given to channels add)"),
        ("Webhook fields", "messages"),
    ],
    "sms": [
        ("Twilio console > Phone Numbers > your number > Messaging", ""),
        ("A message comes in (Webhook, HTTP POST)", "{url}"),
        (
            "Status callbacks",
            "set by socialdesk on each reply: {url}/status (needs the account's public_url)",
        ),
        ("Signatures", "checked with the account's auth_token"),
    ],
    "webchat": [
        (
            "Every page of the site (allowed_origins)",
            '<script src="{base}/widget/{id}.js" async></script>',
        ),
    ],
    "email": [
        ("IMAP", "socialdesk polls the mailbox (imap_host); nothing to register"),
        ("or SMTP", "deliver the support address to `socialdesk email receive` (port 2525)"),
    ],
    "reddit": [("Polling", "socialdesk polls Reddit on a schedule; no webhook to register")],
    "youtube": [("Polling", "socialdesk polls YouTube on a schedule; no webhook to register")],
    "sandbox": [("Sandbox", "in-process: post with `socialdesk sandbox post|dm`")],
}


@channels_cli.command("register-webhook")
def channels_register_webhook(
    account_id: AccountIdArg,
    url: Annotated[
        str,
        typer.Option(
            "--url",
            help="socialdesk's public base URL as the platform reaches it "
            "(e.g. https://desk.example.com).",
        ),
    ],
    workspace: WorkspaceOpt = "default",
) -> None:
    """Point the platform at /hooks/<platform>/<id>: Telegram is registered (setWebhook with
    the account's secret); for other platforms, prints what to paste in their console."""
    from urllib.parse import urlsplit

    from socialdesk.channels.base import SendError
    from socialdesk.channels.telegram import TelegramChannel, register_webhook
    from socialdesk.pipeline.intake import account_info
    from socialdesk.services.workspaces import get_account

    base = url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise fail(f"--url {url!r} is not an http(s) address such as https://desk.example.com")
    with application() as app:
        ws_id = workspace_id(app, workspace)
        with app.db.read_session() as session:
            account = get_account(session, ws_id, account_id)
            platform, handle = account.platform, account.handle
            info = account_info(account, app.cipher) if platform == "telegram" else None
        webhook = f"{base}/hooks/{platform}/{account_id}"
        if platform == "telegram":
            channel = app.channels["telegram"]
            assert isinstance(channel, TelegramChannel) and info is not None
            if parts.scheme != "https":
                err.print(
                    "[yellow]warning:[/] Telegram accepts only https webhooks", highlight=False
                )
            try:
                registered = register_webhook(channel, info, base)
            except SendError as exc:
                raise fail(f"Telegram refused the webhook: {exc}", code=1) from exc
            out.print(
                f"Telegram bot @{handle}: webhook set to {registered} "
                "(with the account's webhook_secret)",
                highlight=False,
            )
            return
        steps = _WEBHOOK_STEPS.get(platform)
        out.print(f"{platform} account {account_id} @{handle}", highlight=False)
        if steps is None:
            out.print(f"Webhook URL: {webhook}", highlight=False)
            return
        for where, what in steps:
            line = what.format(url=webhook, base=base, id=account_id)
            out.print(f"  {where}: {line}" if line else f"  {where}", highlight=False)


email_cli = typer.Typer(help="Email intake: the local SMTP receiver.", no_args_is_help=True)
cli.add_typer(email_cli, name="email")


@email_cli.command("receive")
def email_receive(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0: any free port).", min=0)] = 2525,
) -> None:
    """Receive mail for the email accounts' addresses over SMTP until Ctrl-C (stored like
    IMAP mail; the ingest jobs of `serve` or `worker` process it)."""
    import signal
    import threading

    from socialdesk.channels.email.receiver import MailReceiver

    with application() as app:
        try:
            receiver = MailReceiver(app.db).start(host=host, port=port)
        except OSError as exc:
            raise fail(f"cannot listen on {host}:{port}: {exc}", code=1) from exc
        stop = threading.Event()

        def on_signal(*_args: object) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, on_signal)
        out.print(
            f"receiving mail on smtp://{receiver.host}:{receiver.port} (Ctrl-C stops)",
            highlight=False,
        )
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            receiver.stop()
            signal.signal(signal.SIGTERM, previous)
        out.print("mail receiver stopped", highlight=False)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
