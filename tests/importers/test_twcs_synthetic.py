"""The TWCS importer on small files written by the tests: account derivation, idle
resolution (`--resolve-after`) and malformed input."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from twcs_factories import HEADER, TwcsFile, Tweet, run_cli, twitter_time, write_csv

from socialdesk.bootstrap import App
from socialdesk.importers.twcs import ImportReport, import_twcs
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import (
    ChannelAccount,
    Contact,
    Conversation,
    Event,
    Job,
    Message,
    RawEvent,
)


def import_file(app: App, path: Path, **options: Any) -> ImportReport:
    with app.db.session() as session:
        workspace_id = get_or_create_workspace(session).id
    return import_twcs(app.db, workspace_id, path, **options)


def account_of(app: App, tweet: Tweet) -> str | None:
    """The handle of the channel account a tweet's message was stored on."""
    with app.db.read_session() as session:
        return session.scalar(
            select(ChannelAccount.handle)
            .select_from(Message)
            .outerjoin(ChannelAccount, ChannelAccount.id == Message.channel_account_id)
            .where(Message.platform_message_id == str(tweet.tweet_id))
        )


def conversation_of(app: App, tweet: Tweet) -> int | None:
    with app.db.read_session() as session:
        return session.scalar(
            select(Message.conversation_id).where(
                Message.platform_message_id == str(tweet.tweet_id)
            )
        )


def count(app: App, model: Any) -> int:
    with app.db.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# -- the account of a customer's tweet --------------------------------------------------------
def test_reply_to_a_brand_tweet_takes_that_brands_account_even_if_another_replied_first(
    app: App, tmp_path: Path
) -> None:
    f = TwcsFile()
    question = f.customer(hours=0)
    answer = f.brand("AcmeHelp", hours=0.1, reply_to=question)
    follow_up = f.customer(hours=0.2, reply_to=answer)
    f.brand("GlobexCare", hours=0.25, reply_to=follow_up)  # first to reply, but not the parent
    f.brand("AcmeHelp", hours=0.3, reply_to=follow_up)
    import_file(app, f.write(tmp_path / "twcs.csv"))

    assert account_of(app, follow_up) == "AcmeHelp"
    assert conversation_of(app, follow_up) == conversation_of(app, question)


def test_reply_to_a_customer_tweet_takes_the_parents_account(app: App, tmp_path: Path) -> None:
    f = TwcsFile()
    question = f.customer("115712", hours=0)
    f.brand("AcmeHelp", hours=1, reply_to=question)
    bystander = f.customer("220001", hours=0.5, reply_to=question)  # nobody answered them
    import_file(app, f.write(tmp_path / "twcs.csv"))

    assert account_of(app, bystander) == "AcmeHelp"
    assert conversation_of(app, bystander) not in (None, conversation_of(app, question))


def test_tweet_without_parent_takes_the_brand_that_replied_first_by_time(
    app: App, tmp_path: Path
) -> None:
    f = TwcsFile()
    question = f.customer(hours=0)
    f.brand("AcmeHelp", hours=2, reply_to=question)  # earlier in the file, lower id
    f.brand("GlobexCare", hours=1, reply_to=question)  # but this one answered first
    import_file(app, f.write(tmp_path / "twcs.csv"))

    assert account_of(app, question) == "GlobexCare"


def test_tweet_whose_parent_is_missing_takes_the_brand_that_replied_to_it(
    app: App, tmp_path: Path
) -> None:
    f = TwcsFile()
    orphan = f.customer(hours=0, reply_to=999)  # tweet 999 is not in the file
    f.brand("GlobexCare", hours=1, reply_to=orphan)
    import_file(app, f.write(tmp_path / "twcs.csv"))

    assert account_of(app, orphan) == "GlobexCare"


def test_tweet_no_brand_ever_answered_is_stored_without_conversation(
    app: App, tmp_path: Path
) -> None:
    f = TwcsFile()
    lonely = f.customer(hours=0)
    report = import_file(app, f.write(tmp_path / "twcs.csv"))

    assert (report.stored, report.without_conversation) == (1, 1)
    assert account_of(app, lonely) is None
    assert conversation_of(app, lonely) is None
    assert count(app, Conversation) == 0


def test_tweet_id_repeated_in_the_file_is_reported_and_stored_once(
    app: App, tmp_path: Path
) -> None:
    f = TwcsFile()
    question = f.customer(hours=0)
    f.brand(hours=0.1, reply_to=question)
    report = import_file(app, f.write(tmp_path / "twcs.csv", extra_rows=[question.row()]))

    assert count(app, Message) == 2
    assert [str(p) for p in report.problems] == [
        f"line 4: tweet {question.tweet_id} already on line 2 (skipped)"
    ]


# -- --resolve-after ----------------------------------------------------------------------------
def exchange_then_fresh_tweet(f: TwcsFile, gap_hours: float) -> tuple[Tweet, Tweet]:
    """A customer's question and the brand's answer, then a new (non-reply) tweet from the
    same customer ``gap_hours`` after the answer, which the brand answers too."""
    question = f.customer(hours=0)
    f.brand(hours=0.1, reply_to=question)
    fresh = f.customer(hours=0.1 + gap_hours, text="@AcmeHelp and now my refund is missing")
    f.brand(hours=0.2 + gap_hours, reply_to=fresh)
    return question, fresh


@pytest.mark.parametrize(
    ("gap_hours", "resolve_after", "same_conversation"),
    [(25, 24, False), (23, 24, True), (24, 24, False), (25, 48, True), (2, 1.5, False)],
    ids=["25h-after-24h", "23h-after-24h", "24h-after-24h", "25h-after-48h", "2h-after-90m"],
)
def test_resolve_after_decides_whether_a_later_tweet_opens_a_new_conversation(
    app: App, tmp_path: Path, gap_hours: float, resolve_after: float, same_conversation: bool
) -> None:
    f = TwcsFile()
    question, fresh = exchange_then_fresh_tweet(f, gap_hours)
    import_file(app, f.write(tmp_path / "t.csv"), resolve_after=timedelta(hours=resolve_after))

    assert (conversation_of(app, fresh) == conversation_of(app, question)) is same_conversation
    assert count(app, Conversation) == (1 if same_conversation else 2)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("options", "same_conversation"),
    [([], False), (["--resolve-after", "48h"], True)],
    ids=["default", "48h"],
)
def test_cli_resolve_after_option_sets_the_idle_period(
    app: App, database_url: str, tmp_path: Path, options: list[str], same_conversation: bool
) -> None:
    f = TwcsFile()
    question, fresh = exchange_then_fresh_tweet(f, 25)  # 25 h: more than the default 24 h
    path = f.write(tmp_path / "t.csv")

    result = run_cli(database_url, tmp_path, "import", "twcs", str(path), *options)

    assert result.returncode == 0, result.stderr
    assert (conversation_of(app, fresh) == conversation_of(app, question)) is same_conversation


# -- malformed input ----------------------------------------------------------------------------
@pytest.mark.slow
def test_broken_rows_are_reported_by_line_and_skipped_while_good_rows_import(
    app: App, database_url: str, tmp_path: Path
) -> None:
    f = TwcsFile()
    question = f.customer(hours=0, text="@AcmeHelp line one\nline two of the same tweet")
    f.brand(hours=0.1, reply_to=question)
    when = twitter_time(question.created_at)
    broken = [
        ["5001", "115712", "True", when, "too many", "", "", "surplus"],  # line 5
        ["5002", "115712", "yes", when, "inbound is not a boolean", "", ""],  # line 6
        ["5003", "115712", "True", "yesterday", "bad date", "", ""],  # line 7
        ["50x4", "115712", "True", when, "bad id", "", ""],  # line 8
    ]
    path = f.write(tmp_path / "broken.csv", extra_rows=broken)

    result = run_cli(database_url, tmp_path, "import", "twcs", str(path))

    assert result.returncode == 0, result.stderr
    for line, words in [
        (5, "expected 7 fields, found 8"),
        (6, "inbound must be True or False"),
        (7, "created_at 'yesterday' is not a Twitter date"),
        (8, "tweet_id '50x4' is not a tweet id"),
    ]:
        assert f"{path}, line {line}: {words}" in result.stderr
    assert result.stderr.count("(skipped)") == 4
    assert "4 malformed row(s) skipped" in result.stdout
    assert count(app, Message) == 2
    assert count(app, Conversation) == 1


@pytest.mark.slow
def test_wrong_header_is_an_error_naming_line_1_and_writes_nothing(
    app: App, database_url: str, tmp_path: Path
) -> None:
    f = TwcsFile()
    f.brand(reply_to=f.customer())
    path = write_csv(tmp_path / "wrong.csv", [["id", *HEADER[1:]], *f.rows()])

    result = run_cli(database_url, tmp_path, "import", "twcs", str(path))

    assert result.returncode != 0
    assert "line 1" in result.stderr and "header" in result.stderr
    for model in (Message, Conversation, Contact, ChannelAccount, Event, RawEvent, Job):
        assert count(app, model) == 0, model.__tablename__


@pytest.mark.slow
def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "twcs.csv"
    database_url = f"sqlite:///{tmp_path / 'unused.db'}"  # refused before any database opens
    result = run_cli(database_url, tmp_path, "import", "twcs", str(missing))

    assert result.returncode != 0
    assert f"{missing}: no such file" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "unused.db").exists()


def test_file_starting_with_a_byte_order_mark_imports(app: App, tmp_path: Path) -> None:
    f = TwcsFile()
    f.brand(reply_to=f.customer())
    plain = write_csv(tmp_path / "plain.csv", [HEADER, *f.rows()])
    with_bom = tmp_path / "bom.csv"
    with_bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())

    report = import_file(app, with_bom)

    assert report.problems == []
    assert report.stored == 2
    assert count(app, Conversation) == 1
