"""Synthetic but realistic load for the benchmarks, from a seeded RNG (same seed, same data).

Two shapes of the same world (brands on a social network and their customers):

* :func:`synthetic_events` yields normalized :class:`InboundEvent` objects in arrival order, the
  way webhooks would hand them to the pipeline: customers mentioning a brand, brands replying in
  threads, customers answering back, private DMs and the brand's DM replies, broadcasts that
  customers reply to, customers butting into other customers' threads, replies to messages we
  never saw, profile changes (followers) and platform redeliveries (duplicates).
* :func:`write_twcs_csv` writes the same kind of traffic as a TWCS ("Customer Support on
  Twitter") CSV: same columns, same date format, threads with brand replies, customers replying,
  missing parents, brand clocks running early, float parent ids and multi-line texts.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from socialdesk.domain.types import AuthorKind, Direction, Visibility
from socialdesk.pipeline.events import Author, InboundEvent

__all__ = ["EventMix", "brand_handles", "synthetic_events", "write_twcs_csv"]

PLATFORM = "twitter"
START = datetime(2017, 10, 1, tzinfo=UTC)

_CARE_TEXT = (
    "help order refund account password login app crash update phone bill charge payment "
    "delivery package late missing driver ride trip cancel subscription plan data signal "
    "outage internet wifi router modem slow speed customer service support please thanks "
    "thank hours waiting still nobody answered again today yesterday week issue problem "
    "error fix broken working sorry hear happened look into details send dm message "
    "number email address store flight bag gate seat delayed booking ticket reservation "
    "card bank fraud balance transfer"
)
_CARE_WORDS = _CARE_TEXT.split()
_AGENT_OPENERS = (
    "Sorry to hear that!",
    "Hi there,",
    "Thanks for reaching out.",
    "We're here to help.",
    "Happy to look into this.",
    "Apologies for the trouble.",
)
_AGENT_CLOSERS = (
    "Please send us a DM with your account details.",
    "Can you DM us the email address on the account?",
    "Let us know if there's anything else we can do!",
    "We'll follow up as soon as we know more.",
    "Could you tell us which app version you're on?",
)
_TWITTER_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_TWITTER_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def brand_handles(count: int) -> list[str]:
    """Stable brand handles (``Brand000Help``…), most popular first."""
    return [f"Brand{i:03d}Help" for i in range(count)]


def _vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = list(_CARE_WORDS)
    while len(words) < size:
        words.append("".join(rng.choice(letters) for _ in range(rng.randint(3, 10))))
    return words


class _Texts:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = _vocabulary(rng)
        self.care = list(_CARE_WORDS)

    def customer(self, brand: str | None) -> str:
        rng = self.rng
        n = rng.randint(6, 28)
        words = [rng.choice(self.care) if rng.random() < 0.6 else rng.choice(self.words)]
        words += [rng.choice(self.care) if rng.random() < 0.5 else rng.choice(self.words)]
        words += [rng.choice(self.words) for _ in range(n - 2)]
        text = " ".join(words)
        if brand is not None:
            text = f"@{brand} {text}"
        if rng.random() < 0.1:
            text += f" order #{rng.randint(100000, 999999)}"
        return text

    def agent(self, customer_handle: str, signature: str) -> str:
        rng = self.rng
        return (
            f"@{customer_handle} {rng.choice(_AGENT_OPENERS)} "
            f"{' '.join(rng.choice(self.care) for _ in range(rng.randint(3, 12)))} "
            f"{rng.choice(_AGENT_CLOSERS)} ^{signature}"
        )


def _brand_index(rng: random.Random, brands: int) -> int:
    """Zipf-like: a few brands carry most of the traffic, as in the real corpus."""
    return min(brands - 1, int(brands * rng.random() ** 2.2))


def _customer_index(rng: random.Random, customers: int) -> int:
    """Most customers write once or twice; a few write a lot."""
    return min(customers - 1, int(customers * rng.random() ** 1.6))


def _delay(rng: random.Random, median_seconds: float) -> float:
    return max(5.0, rng.lognormvariate(0.0, 1.2) * median_seconds)


@dataclass(frozen=True, slots=True)
class EventMix:
    """Shares of thread kinds and of redeliveries in :func:`synthetic_events`."""

    public_thread: float = 0.55
    dm_thread: float = 0.28
    broadcast_reply: float = 0.07
    other_customer_thread: float = 0.05
    unknown_parent: float = 0.05
    duplicate_rate: float = 0.02
    profile_change_rate: float = 0.03


def synthetic_events(
    count: int,
    account_ids: Sequence[int],
    *,
    seed: int = 20171031,
    mix: EventMix | None = None,
    start: datetime = START,
) -> list[InboundEvent]:
    """``count`` events (redeliveries included) in arrival order for ``account_ids``.

    ``account_ids[i]`` is the channel account of ``brand_handles(len(account_ids))[i]``.
    """
    mix = mix or EventMix()
    rng = random.Random(seed)
    texts = _Texts(rng)
    handles = brand_handles(len(account_ids))
    customers = max(20, count // 5)
    followers = [int(rng.paretovariate(1.1) * 40) for _ in range(customers)]
    span = max(3600.0, count * 3.0)  # one message every ~3 s, like the real corpus
    unique_target = round(count * (1 - mix.duplicate_rate))
    seq = 0
    # (time, event) pairs; ids are assigned once the order is known (time-ordered, snowflake-like)
    messages: list[tuple[float, InboundEvent]] = []
    public_by_brand: dict[int, list[InboundEvent]] = {}
    posts_by_brand: dict[int, list[InboundEvent]] = {}

    def next_id(at: float) -> str:
        nonlocal seq
        seq += 1
        return str(int((start.timestamp() + at) * 1000) * 10_000_000 + seq)

    def author_of(customer: int) -> Author:
        if rng.random() < mix.profile_change_rate:
            followers[customer] += rng.randint(1, 50)
        return Author(
            external_id=str(100_000 + customer),
            handle=f"user{customer}",
            name=f"Customer {customer}" if customer % 3 == 0 else None,
            followers=followers[customer],
            verified=customer % 997 == 0,
        )

    def add(
        at: float,
        *,
        brand: int,
        inbound: bool,
        visibility: Visibility,
        author: Author,
        text: str,
        reply_to: str | None,
        kind: AuthorKind,
    ) -> InboundEvent:
        event = InboundEvent(
            platform=PLATFORM,
            platform_message_id=next_id(at),
            author=author,
            text=text,
            platform_time=start + timedelta(seconds=round(at)),
            visibility=visibility,
            channel_account_id=account_ids[brand],
            direction=Direction.IN if inbound else Direction.OUT,
            reply_to_platform_id=reply_to,
            author_kind=kind,
        )
        messages.append((at, event))
        return event

    def brand_author(brand: int) -> Author:
        return Author(external_id=handles[brand], handle=handles[brand], name=handles[brand])

    def dialogue(
        at: float, brand: int, customer: int, first: InboundEvent, visibility: Visibility
    ) -> None:
        """Brand and customer take turns under ``first``; each turn replies to the last."""
        last = first
        answer_p = 0.88
        while rng.random() < answer_p:
            at += _delay(rng, 900)
            last = add(
                at,
                brand=brand,
                inbound=False,
                visibility=visibility,
                author=brand_author(brand),
                text=texts.agent(f"user{customer}", "JD"),
                reply_to=last.platform_message_id,
                kind=AuthorKind.AGENT,
            )
            if visibility == Visibility.PUBLIC:
                public_by_brand.setdefault(brand, []).append(last)
            if rng.random() > 0.55:
                return
            at += _delay(rng, 600)
            last = add(
                at,
                brand=brand,
                inbound=True,
                visibility=visibility,
                author=author_of(customer),
                text=texts.customer(handles[brand] if visibility == Visibility.PUBLIC else None),
                reply_to=last.platform_message_id if visibility == Visibility.PUBLIC else None,
                kind=AuthorKind.CONTACT,
            )
            answer_p = 0.75

    while len(messages) < unique_target:
        at = rng.uniform(0, span)
        brand = _brand_index(rng, len(account_ids))
        customer = _customer_index(rng, customers)
        roll = rng.random()
        reply_to: str | None = None
        visibility = Visibility.PUBLIC
        if roll < mix.public_thread:
            pass
        elif roll < mix.public_thread + mix.dm_thread:
            visibility = Visibility.PRIVATE
        elif roll < mix.public_thread + mix.dm_thread + mix.broadcast_reply:
            posts = posts_by_brand.get(brand)
            if not posts or rng.random() < 0.2:
                post = add(
                    at,
                    brand=brand,
                    inbound=False,
                    visibility=Visibility.PUBLIC,
                    author=brand_author(brand),
                    text=f"News from {handles[brand]}: {texts.customer(None)}",
                    reply_to=None,
                    kind=AuthorKind.BRAND,
                )
                posts_by_brand.setdefault(brand, []).append(post)
                at += _delay(rng, 300)
            else:
                post = rng.choice(posts[-20:])
            reply_to = post.platform_message_id
        elif roll < 1 - mix.unknown_parent:
            others = public_by_brand.get(brand)
            if others:
                reply_to = rng.choice(others[-50:]).platform_message_id
        else:
            reply_to = str(rng.randint(10**9, 10**10))  # a tweet we never saw
        first = add(
            at,
            brand=brand,
            inbound=True,
            visibility=visibility,
            author=author_of(customer),
            text=texts.customer(handles[brand] if visibility == Visibility.PUBLIC else None),
            reply_to=reply_to,
            kind=AuthorKind.CONTACT,
        )
        dialogue(at, brand, customer, first, visibility)

    # Arrival order: platform time plus a small delivery delay, so a few arrive out of order.
    arrivals = sorted(messages, key=lambda m: m[0] + rng.expovariate(1 / 4.0))
    ordered = [event for _, event in arrivals[:unique_target]]
    # Redeliveries: a copy of an event turns up again a little (or a lot) later.
    out: list[InboundEvent] = []
    pending: list[tuple[int, InboundEvent]] = []
    for position, event in enumerate(ordered):
        out.append(event)
        if rng.random() < mix.duplicate_rate:
            pending.append((position + rng.randint(1, 8000), replace(event)))
        while pending and pending[0][0] <= position:
            out.append(pending.pop(0)[1])
        pending.sort(key=lambda p: p[0])
    out.extend(event for _, event in pending)
    while len(out) < count:  # fewer redeliveries drawn than expected: a few more, at the end
        out.append(replace(rng.choice(ordered[-5000:])))
    return out[:count]


def _twitter_time(at: datetime) -> str:
    return (
        f"{_TWITTER_DAYS[at.weekday()]} {_TWITTER_MONTHS[at.month - 1]} {at.day:02d} "
        f"{at:%H:%M:%S} +0000 {at.year}"
    )


@dataclass(slots=True)
class _Row:
    tweet_id: int
    author_id: str
    inbound: bool
    at: float
    text: str
    parent: int | None
    children: list[int]
    float_parent: bool = False


def write_twcs_csv(
    path: Path,
    rows: int,
    *,
    seed: int = 20171031,
    brands: int = 108,
    index_column: bool = False,
) -> dict[str, int]:
    """Write a TWCS-format CSV of ``rows`` tweets; returns what it wrote (rows, threads…).

    Threads are written together with ids numbered per thread, as in the real export (ids are
    not in time order across threads). Mess included: parents missing from the file, brand
    replies timed before the tweet they answer, float parent ids (``123.0``), customers replying
    under another customer's thread, and texts with commas, quotes and line breaks.
    """
    rng = random.Random(seed)
    texts = _Texts(rng)
    handles = brand_handles(brands)
    customers = max(20, rows // 4)
    span = 92 * 86400.0  # Oct-Dec 2017
    next_id = 1
    written = 0
    threads = 0
    recent_brand_tweets: list[tuple[int, int]] = []  # (brand, tweet id)
    stats = {"missing_parent": 0, "early_brand_reply": 0, "cross_customer": 0}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        header = [
            "tweet_id",
            "author_id",
            "inbound",
            "created_at",
            "text",
            "response_tweet_id",
            "in_response_to_tweet_id",
        ]
        writer.writerow(["", *header] if index_column else header)
        while written < rows:
            threads += 1
            brand = _brand_index(rng, brands)
            customer = _customer_index(rng, customers)
            at = rng.uniform(0, span)
            thread: list[_Row] = []

            def tweet(
                inbound: bool,
                author: str,
                text: str,
                at: float,
                parent: _Row | None,
                thread: list[_Row] = thread,
            ) -> _Row:
                nonlocal next_id
                row = _Row(next_id, author, inbound, at, text, None, [])
                next_id += 1
                if parent is not None:
                    row.parent = parent.tweet_id
                    parent.children.append(row.tweet_id)
                thread.append(row)
                return row

            first = tweet(True, str(100_000 + customer), texts.customer(handles[brand]), at, None)
            roll = rng.random()
            if roll < 0.04:  # answers a tweet that is not in the file
                first.parent = next_id + 50_000_000
                stats["missing_parent"] += 1
            elif roll < 0.07 and recent_brand_tweets:  # under another customer's thread
                other_brand, other_tweet = rng.choice(recent_brand_tweets[-200:])
                first.parent = other_tweet
                first.text = texts.customer(handles[other_brand])
                brand = other_brand
                stats["cross_customer"] += 1
            if rng.random() < 0.15:
                first.float_parent = True
            if rng.random() < 0.003:
                first.text = f'{first.text}, "really"\nsecond line of the same tweet'
            last = first
            answer_p = 0.9
            while rng.random() < answer_p:
                reply_at = last.at + _delay(rng, 900)
                if rng.random() < 0.01:  # the brand's clock reads earlier than the tweet
                    reply_at = last.at - rng.uniform(1, 60)
                    stats["early_brand_reply"] += 1
                last = tweet(
                    False, handles[brand], texts.agent(f"user{customer}", "AB"), reply_at, last
                )
                recent_brand_tweets.append((brand, last.tweet_id))
                if rng.random() > 0.5:
                    break
                last = tweet(
                    True,
                    str(100_000 + customer),
                    texts.customer(handles[brand]),
                    last.at + _delay(rng, 600),
                    last,
                )
                answer_p = 0.7
            if len(recent_brand_tweets) > 10_000:
                del recent_brand_tweets[:5_000]
            for row in thread:
                if written >= rows:
                    break
                created = START + timedelta(seconds=round(row.at))
                parent = ""
                if row.parent is not None:
                    parent = f"{row.parent}.0" if row.float_parent else str(row.parent)
                values = [
                    str(row.tweet_id),
                    row.author_id,
                    "True" if row.inbound else "False",
                    _twitter_time(created),
                    row.text,
                    ",".join(str(c) for c in row.children),
                    parent,
                ]
                writer.writerow([str(written), *values] if index_column else values)
                written += 1
    return {"rows": written, "threads": threads, "brands": brands, **stats}
