"""A seeded plan of demo conversations: who writes what and when, and what the team does.

Pure (no database): the same seed and ``now`` always give the same plan. :mod:`.seed` plays it
through the real services. Each conversation is planned as a skeleton of steps with relative
times (first message, triage, replies, the outcome), anchored so that it ends where its final
status makes sense (open ones recently, resolved ones anywhere in the last two weeks), and only
then given a customer and texts.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from socialdesk.demo.people import (
    ACCOUNTS,
    FIRST_NAMES,
    HANDLE_NOUNS,
    HANDLE_WORDS,
    INFLUENCERS,
    LAST_NAMES,
    STAFF,
    Influencer,
    StaffMember,
)
from socialdesk.demo.phrases import GENERIC, NOTES, SLOT_WORDS, TOPIC_PHRASES
from socialdesk.domain.types import ConversationStatus, Priority, Role, Visibility

__all__ = [
    "HISTORY",
    "AgentReply",
    "ConversationChange",
    "ConversationScript",
    "CustomerMessage",
    "DemoCustomer",
    "DemoPlan",
    "InternalNote",
    "Step",
    "TagChange",
    "build_plan",
]

HISTORY = timedelta(days=14)

OPEN, PENDING, SNOOZED, RESOLVED = (
    ConversationStatus.OPEN.value,
    ConversationStatus.PENDING.value,
    ConversationStatus.SNOOZED.value,
    ConversationStatus.RESOLVED.value,
)
PUBLIC, PRIVATE = Visibility.PUBLIC.value, Visibility.PRIVATE.value

# Conversation shapes: public posts only; public first then private messages; private only.
PUBLIC_ONLY, PUBLIC_TO_DM, PRIVATE_ONLY = "public", "public_to_dm", "private"


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    external_id: str
    handle: str
    name: str
    first_name: str
    last_name: str
    followers: int
    verified: bool
    language: str
    influencer: bool
    email: str
    phone: str
    account_no: str


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    """A public post (``post``) or a private message (``dm``) from the customer."""

    at: datetime
    kind: str
    text: str
    message_id: str
    # "brand": answers the brand's latest public reply; "own": continues the customer's thread.
    answers: str | None = None


@dataclass(frozen=True, slots=True)
class AgentReply:
    at: datetime
    actor: str  # staff email
    visibility: str
    text: str


@dataclass(frozen=True, slots=True)
class ConversationChange:
    at: datetime
    actor: str
    status: str | None = None
    snoozed_until: datetime | None = None
    priority: str | None = None
    assignee: str | None = None
    team: str | None = None


@dataclass(frozen=True, slots=True)
class TagChange:
    at: datetime
    actor: str
    add: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InternalNote:
    at: datetime
    actor: str
    body: str


Step = CustomerMessage | AgentReply | ConversationChange | TagChange | InternalNote


@dataclass(frozen=True, slots=True)
class ConversationScript:
    number: int
    account: str  # the brand account's handle
    customer: DemoCustomer
    language: str
    topic: str
    shape: str
    outcome: str
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class DemoPlan:
    now: datetime
    scripts: tuple[ConversationScript, ...]

    def timeline(self) -> list[tuple[ConversationScript, Step]]:
        """Every step of every conversation, in time order (ties keep each script's order)."""
        keyed = [
            (step.at, script.number, index, script, step)
            for script in self.scripts
            for index, step in enumerate(script.steps)
        ]
        keyed.sort(key=lambda item: (item[0], item[1], item[2]))
        return [(script, step) for _at, _number, _index, script, step in keyed]


@dataclass(frozen=True, slots=True)
class _Topic:
    team: str
    tags: tuple[str, ...]
    weight: float
    shapes: tuple[tuple[str, float], ...]
    moods: tuple[float, float, float]  # angry, neutral, happy
    outcomes: frozenset[str] = frozenset({OPEN, PENDING, SNOOZED, RESOLVED})


_MIXED = ((PUBLIC_ONLY, 0.35), (PUBLIC_TO_DM, 0.35), (PRIVATE_ONLY, 0.3))
_NO_PUBLIC = ((PUBLIC_TO_DM, 0.45), (PRIVATE_ONLY, 0.55))

TOPICS: dict[str, _Topic] = {
    "outage": _Topic(
        "Tech support",
        ("outage",),
        16,
        ((PUBLIC_ONLY, 0.45), (PUBLIC_TO_DM, 0.4), (PRIVATE_ONLY, 0.15)),
        (0.6, 0.4, 0),
    ),
    "slow_speed": _Topic("Tech support", ("speed",), 8, _MIXED, (0.45, 0.55, 0)),
    "double_charge": _Topic("Billing", ("billing", "refund"), 9, _NO_PUBLIC, (0.5, 0.5, 0)),
    "bill_increase": _Topic("Billing", ("billing", "pricing"), 7, _NO_PUBLIC, (0.5, 0.5, 0)),
    "refund_chase": _Topic("Billing", ("refund",), 6, _NO_PUBLIC, (0.6, 0.4, 0)),
    "app_bug": _Topic("Tech support", ("bug", "app"), 9, _MIXED, (0.3, 0.7, 0)),
    "technician": _Topic("Tech support", ("installation",), 6, _MIXED, (0.7, 0.3, 0)),
    "delivery": _Topic("Social", ("delivery",), 6, _MIXED, (0.4, 0.6, 0)),
    "roaming": _Topic("Billing", ("billing", "roaming"), 4, _NO_PUBLIC, (0.5, 0.5, 0)),
    "moving": _Topic("Social", ("moving",), 5, _MIXED, (0, 1, 0)),
    "sales": _Topic(
        "Social",
        ("sales",),
        6,
        ((PUBLIC_ONLY, 0.5), (PUBLIC_TO_DM, 0.2), (PRIVATE_ONLY, 0.3)),
        (0, 1, 0),
    ),
    "praise": _Topic(
        "Social", ("praise",), 7, ((PUBLIC_ONLY, 1.0),), (0, 0, 1), frozenset({OPEN, RESOLVED})
    ),
    "cancel": _Topic("Billing", ("cancellation", "churn-risk"), 5, _MIXED, (0.8, 0.2, 0)),
}

OUTCOME_SHARES = {OPEN: 0.3, PENDING: 0.17, SNOOZED: 0.1, RESOLVED: 0.43}
LANGUAGE_TAGS = {"es": "spanish", "fr": "french", "de": "german"}
_MOODS = ("angry", "neutral", "happy")
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example")
_COUNTRIES = ("Spain", "Portugal", "Mexico", "Canada", "Italy", "Greece", "Japan", "Turkey")
_CITIES = ("Manchester", "Bristol", "Leeds", "Glasgow", "Cardiff", "Brighton", "York", "Norwich")
_PLANS = ("Fibre 150", "Fibre 500", "Fibre 1G", "Unlimited Plus", "Essentials 100")
_DEVICES = (
    "iPhone 13",
    "iPhone 15 Pro",
    "Pixel 8",
    "Galaxy S23",
    "Galaxy A54",
    "OnePlus 12",
    "iPad Air",
    "Moto G84",
)
_AGENTS = tuple(s for s in STAFF if s.role == Role.AGENT)
_SUPERVISOR = next(s for s in STAFF if s.role == Role.SUPERVISOR)


@dataclass(slots=True)
class _Spec:
    """One step of a skeleton, before it has a time, a customer and a text."""

    offset: float  # minutes after the first message
    what: str  # in, reply, change, tags, note
    kind: str = ""  # post/dm for "in", public/private for "reply"
    part: str = ""
    actor: str = "agent"  # agent or supervisor
    status: str | None = None
    assign: bool = False
    triage: bool = False


@dataclass(slots=True)
class _Skeleton:
    specs: list[_Spec] = field(default_factory=list)
    clock: float = 0.0

    def add(
        self,
        delay: float,
        what: str,
        *,
        kind: str = "",
        part: str = "",
        actor: str = "agent",
        status: str | None = None,
        assign: bool = False,
        triage: bool = False,
    ) -> None:
        self.clock += delay
        spec = _Spec(self.clock, what, kind, part, actor, status, assign, triage)
        self.specs.append(spec)


def build_plan(*, seed: int, conversations: int, now: datetime) -> DemoPlan:
    """``conversations`` scripted conversations ending before ``now`` (UTC, timezone-aware)."""
    if conversations < 1:
        raise ValueError("a demo needs at least one conversation")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return DemoPlan(now=now, scripts=tuple(_Planner(seed, now).build(conversations)))


def _fold(text: str) -> str:
    """ASCII letters and digits only, lowercased: José O'Brien → joseobrien."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def _join(*pieces: str, lang: str = "en") -> str:
    """Sentences joined by spaces; after a comma or colon a sentence goes on in lowercase
    (except in German, where nouns keep their capital)."""
    text = ""
    for piece in pieces:
        if not piece:
            continue
        if lang != "de" and text.endswith((",", ":")) and len(piece) > 1 and piece[1].islower():
            piece = piece[0].lower() + piece[1:]
        text = f"{text} {piece}" if text else piece
    return text


def _quota(rng: random.Random, n: int, shares: dict[str, float]) -> list[str]:
    """``n`` labels in about the given shares, each at least once when ``n`` allows."""
    floor = 1 if n >= len(shares) else 0
    counts = {label: max(floor, round(n * share)) for label, share in shares.items()}
    largest = max(shares, key=lambda label: shares[label])
    while sum(counts.values()) > n:
        label = max(counts, key=lambda k: counts[k])
        counts[label] -= 1
    counts[largest] += n - sum(counts.values())
    labels = [label for label, count in counts.items() for _ in range(count)]
    rng.shuffle(labels)
    return labels


def _weighted(rng: random.Random, options: dict[str, float]) -> str:
    labels = list(options)
    return rng.choices(labels, weights=[options[label] for label in labels])[0]


class _Planner:
    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.handles: set[str] = set()
        self.message_ids: set[str] = set()
        self.influencers = list(INFLUENCERS)
        self.rng.shuffle(self.influencers)
        # Customers whose one conversation was resolved, with when it ended: they may return.
        self.returning: list[tuple[DemoCustomer, datetime]] = []

    # -- the whole plan -------------------------------------------------------------------
    def build(self, n: int) -> Iterator[ConversationScript]:
        rng = self.rng
        outcomes = _quota(rng, n, OUTCOME_SHARES)
        languages = ["en"] * n
        if n >= 20:
            spots = list(range(n))
            rng.shuffle(spots)
            for lang, share in (("es", 0.03), ("fr", 0.025), ("de", 0.025)):
                for _ in range(max(1, round(n * share))):
                    languages[spots.pop()] = lang
        english = [i for i in range(n) if languages[i] == "en"]
        wanted = max(1 if n >= 15 else 0, round(n * 0.02))
        vips = set(rng.sample(english, min(len(self.influencers), wanted, len(english))))
        for number in range(n):
            yield self.script(number, outcomes[number], languages[number], number in vips)

    def script(self, number: int, outcome: str, lang: str, vip: bool) -> ConversationScript:
        rng = self.rng
        topic_key = self.topic(outcome, lang, require_dm=number == 0)
        topic = TOPICS[topic_key]
        shapes = {
            shape: weight
            for shape, weight in topic.shapes
            if shape != PUBLIC_ONLY or "ack" in TOPIC_PHRASES[lang][topic_key]
        }
        shape = PUBLIC_TO_DM if number == 0 else _weighted(rng, shapes)
        mood = rng.choices(_MOODS, weights=topic.moods)[0]
        if vip and mood == "neutral" and rng.random() < 0.5:
            mood = "angry"
        if shape == PRIVATE_ONLY:
            account = ACCOUNTS[1] if rng.random() < 0.8 else ACCOUNTS[0]
        else:
            account = ACCOUNTS[0] if rng.random() < 0.65 else ACCOUNTS[1]
        agent = self.agent(lang, topic.team, vip)
        skeleton = self.skeleton(topic_key, shape, outcome, vip)
        times = self.anchor(skeleton, outcome)
        customer = self.customer(lang, vip, times[0])
        slots = self.slots(lang, customer, account.handle, agent, times[0])
        steps = self.render(skeleton, times, topic_key, lang, mood, agent, slots, vip)
        if outcome == RESOLVED and not vip and lang == "en":
            self.returning.append((customer, times[-1]))
        return ConversationScript(
            number=number,
            account=account.handle,
            customer=customer,
            language=lang,
            topic=topic_key,
            shape=shape,
            outcome=outcome,
            steps=tuple(steps),
        )

    def topic(self, outcome: str, lang: str, *, require_dm: bool) -> str:
        options = {
            key: topic.weight
            for key, topic in TOPICS.items()
            if outcome in topic.outcomes
            and key in TOPIC_PHRASES[lang]
            and (not require_dm or any(shape == PUBLIC_TO_DM for shape, _ in topic.shapes))
        }
        return _weighted(self.rng, options)

    def agent(self, lang: str, team: str, vip: bool) -> StaffMember:
        if lang != "en":
            return self.rng.choice([s for s in _AGENTS if lang in s.languages])
        if vip and self.rng.random() < 0.4:
            return _SUPERVISOR
        return self.rng.choice([s for s in _AGENTS if team in s.teams])

    # -- timing -----------------------------------------------------------------------------
    def minutes(self, median: float, sigma: float, low: float, high: float) -> float:
        return min(high, max(low, self.rng.lognormvariate(math.log(median), sigma)))

    def skeleton(self, topic: str, shape: str, outcome: str, vip: bool) -> _Skeleton:
        rng = self.rng
        sk = _Skeleton()
        first_kind = "dm" if shape == PRIVATE_ONLY else "post"
        kind = "post" if shape == PUBLIC_ONLY else "dm"
        visibility = PUBLIC if shape == PUBLIC_ONLY else PRIVATE
        sk.add(0, "in", kind=first_kind, part="open")
        if topic != "praise" and rng.random() < 0.2:  # a second message before any answer
            sk.add(self.minutes(15, 0.8, 2, 120), "in", kind=first_kind, part="more")
        variant = outcome
        if outcome == OPEN:
            choices = {"untouched": 0.45, "waiting": 0.45, "reopened": 0.10}
            if shape == PRIVATE_ONLY:  # reopening needs a public reply to answer
                choices = {"untouched": 0.5, "waiting": 0.5}
            if topic == "praise":
                choices = {"untouched": 1.0}
            variant = _weighted(rng, choices)
        triage_delay = self.minutes(6 if vip else 25, 0.9, 1, 480)
        if variant == "untouched":
            if rng.random() < 0.5:
                self.triage(sk, triage_delay, assign=rng.random() < 0.4, vip=vip)
            if rng.random() < 0.3:
                sk.add(self.minutes(50, 0.8, 5, 600), "in", kind=first_kind, part="chaser")
            return sk
        self.triage(sk, triage_delay, assign=True, vip=vip)
        reply_delay = self.minutes(3, 0.8, 0.5, 30)
        if topic == "praise":
            sk.add(reply_delay, "reply", kind=PUBLIC, part="ack")
            sk.add(self.minutes(3, 1, 0.5, 60), "change", status=RESOLVED)
            return sk
        if shape == PUBLIC_ONLY:
            sk.add(reply_delay, "reply", kind=PUBLIC, part="ack")
        else:
            if shape == PUBLIC_TO_DM:
                sk.add(reply_delay, "reply", kind=PUBLIC, part="ask_dm")
            else:
                sk.add(reply_delay, "reply", kind=PRIVATE, part="ask")
            sk.add(self.minutes(20, 1.0, 2, 900), "in", kind="dm", part="detail")
            if vip or rng.random() < 0.35:
                actor = "supervisor" if vip else "agent"
                sk.add(self.minutes(4, 0.8, 0.5, 40), "note", actor=actor)
            if shape == PUBLIC_TO_DM or rng.random() < 0.7:
                sk.add(self.minutes(12, 0.8, 1, 240), "reply", kind=PRIVATE, part="work")
        if shape == PUBLIC_ONLY and (vip or rng.random() < 0.2):
            sk.add(self.minutes(4, 0.8, 0.5, 40), "note", actor="supervisor" if vip else "agent")
        agent_delay = self.minutes(25, 1.0, 1, 720)
        if variant == "waiting":
            part = "still" if rng.random() < 0.6 else "chaser"
            sk.add(self.minutes(60, 1.0, 5, 1440), "in", kind=kind, part=part)
        elif variant == "reopened":
            sk.add(agent_delay, "reply", kind=visibility, part="fix")
            sk.add(self.minutes(5, 1, 0.5, 120), "change", status=RESOLVED)
            sk.add(self.minutes(240, 1.0, 30, 2880), "in", kind="post", part="still")
        elif variant == PENDING:
            sk.add(agent_delay, "reply", kind=visibility, part="pending")
            sk.add(self.minutes(1, 0.5, 0.2, 10), "change", status=PENDING)
        elif variant == SNOOZED:
            sk.add(agent_delay, "reply", kind=visibility, part="snooze")
            sk.add(self.minutes(1, 0.5, 0.2, 10), "change", status=SNOOZED)
        else:
            sk.add(agent_delay, "reply", kind=visibility, part="fix")
            thanked = rng.random() < 0.6
            if thanked:
                sk.add(self.minutes(30, 1.0, 2, 600), "in", kind=kind, part="thanks")
                if rng.random() < 0.4:
                    sk.add(self.minutes(8, 0.8, 1, 120), "reply", kind=visibility, part="close")
            sk.add(self.minutes(5, 1, 0.5, 240), "change", status=RESOLVED)
        return sk

    def triage(self, sk: _Skeleton, delay: float, *, assign: bool, vip: bool) -> None:
        actor = "supervisor" if vip or self.rng.random() < 0.5 else "agent"
        sk.add(delay, "change", actor=actor, assign=assign, triage=True)
        sk.add(0.2, "tags", actor=actor)

    def anchor(self, sk: _Skeleton, outcome: str) -> list[datetime]:
        """Times for the skeleton's steps, ending where this outcome looks alive."""
        rng = self.rng
        if outcome == OPEN:
            r = rng.random()
            waited = rng.uniform(1, 55) if r < 0.4 else rng.uniform(60, 720)
            if r >= 0.8:
                waited = rng.uniform(720, 4320)
        elif outcome in (PENDING, SNOOZED):
            waited = rng.uniform(20, 4320)
        else:
            waited = rng.uniform(30, HISTORY.total_seconds() / 60 - 720)
        end = self.now - timedelta(minutes=waited)
        span = sk.specs[-1].offset
        room = (end - (self.now - HISTORY)).total_seconds() / 60
        scale = min(1.0, room / span) if span > 0 else 1.0
        return [end - timedelta(minutes=(span - spec.offset) * scale) for spec in sk.specs]

    # -- people -------------------------------------------------------------------------------
    def customer(self, lang: str, vip: bool, start: datetime) -> DemoCustomer:
        rng = self.rng
        if lang == "en" and not vip and rng.random() < 0.12:
            for index, (known, ended) in enumerate(self.returning):
                if ended + timedelta(hours=6) < start:
                    del self.returning[index]
                    return known
        if vip and self.influencers:
            return self.influencer(self.influencers.pop())
        first = rng.choice(FIRST_NAMES[lang])
        last = rng.choice(LAST_NAMES[lang])
        handle = self.handle(first, last)
        style = rng.random()
        if style < 0.55:
            name = f"{first} {last}"
        elif style < 0.75:
            name = first
        elif style < 0.88:
            name = f"{first} {last[0]}."
        else:
            name = f"{first} {rng.choice(('🌻', '⚽', '🎧', '☕', '🌊', '📚'))}"
        followers = int(rng.lognormvariate(math.log(160), 1.4))
        if rng.random() < 0.08:
            followers = rng.randint(0, 6)  # a fresh account made to complain
        return self.person(handle, name, first, last, min(followers, 9_800), False, lang, False)

    def influencer(self, persona: Influencer) -> DemoCustomer:
        first = persona.name.split()[0]
        self.handles.add(persona.handle)
        followers = self.rng.randint(*persona.followers)
        return self.person(
            persona.handle, persona.name, first, "", followers, persona.verified, "en", True
        )

    def person(
        self,
        handle: str,
        name: str,
        first: str,
        last: str,
        followers: int,
        verified: bool,
        lang: str,
        influencer: bool,
    ) -> DemoCustomer:
        rng = self.rng
        suffix = rng.choice(("", "", str(rng.randint(1, 99))))
        local = ".".join(p for p in (_fold(first), _fold(last)) if p) or handle
        return DemoCustomer(
            external_id=f"user-{handle.lower()}",
            handle=handle,
            name=name,
            first_name=first,
            last_name=last,
            followers=followers,
            verified=verified,
            language=lang,
            influencer=influencer,
            email=f"{local}{suffix}@{rng.choice(_EMAIL_DOMAINS)}",
            phone=f"07700 900{rng.randint(0, 999):03d}",  # Ofcom's range kept for drama
            account_no=f"{rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
        )

    def handle(self, first: str, last: str) -> str:
        rng = self.rng
        f, surname = _fold(first), _fold(last)
        for _ in range(50):
            pattern = rng.randrange(8)
            if pattern == 0:
                handle = f"{f}{surname}"
            elif pattern == 1:
                handle = f"{f}_{surname}{rng.randint(1, 99)}"
            elif pattern == 2:
                handle = f"{f[0]}{surname}"
            elif pattern == 3:
                handle = f"the_real_{f}"
            elif pattern == 4:
                handle = (
                    f"{rng.choice(HANDLE_WORDS)}{rng.choice(HANDLE_NOUNS)}{rng.randint(1, 999)}"
                )
            elif pattern == 5:
                handle = f"{f}{rng.randint(70, 99)}"
            elif pattern == 6:
                handle = f"{rng.choice(HANDLE_NOUNS)}_{f}"
            else:
                handle = f"{f}.{surname}".replace(".", "_") + rng.choice(("", "_x", "xo", "_"))
            if handle not in self.handles:
                self.handles.add(handle)
                return handle
        handle = f"{f}{surname}{len(self.handles)}"
        self.handles.add(handle)
        return handle

    # -- texts --------------------------------------------------------------------------------
    def slots(
        self, lang: str, customer: DemoCustomer, account: str, agent: StaffMember, start: datetime
    ) -> dict[str, str]:
        rng = self.rng
        words = SLOT_WORDS[lang]

        def money(value: float) -> str:
            if lang == "en":
                return f"${value:,.2f}"
            return f"{value:.2f} €".replace(".", ",")

        def date(when: datetime) -> str:
            month = words["months"][when.month - 1]
            return {
                "es": f"{when.day} de {month}",
                "de": f"{when.day}. {month}",
            }.get(lang, f"{when.day} {month}")

        praised = rng.choice(_AGENTS)
        version = (rng.randint(6, 14), rng.randint(0, 4))
        ahead = start + timedelta(days=rng.randint(1, 4))
        letters = "ABCDEFGHJKLMNPRSTUWXYZ"
        return {
            "brand": f"@{account}",
            "first": customer.first_name,
            "full_name": f"{customer.first_name} {customer.last_name}".strip(),
            "followers": f"{customer.followers:,}",
            "email": customer.email,
            "phone": customer.phone,
            "account_no": customer.account_no,
            "agent": agent.first_name,
            "initials": agent.initials,
            "praised": praised.first_name
            + (
                rng.choice(("", " on your live chat", " from the care team"))
                if lang == "en"
                else ""
            ),
            "praised_first": praised.first_name,
            "since": rng.choice(words["since"]),
            "service": rng.choice(words["service"]),
            "area": rng.choice(words["area"]),
            "street": rng.choice(words["street"]),
            "street_no": str(rng.randint(2, 180)),
            "screen": rng.choice(words["screen"]),
            "slot": rng.choice(words["slot"]),
            "eta": rng.choice(words["eta"]),
            "day": words["days"][ahead.weekday()],
            "month": words["months"][(start.month - 1 - rng.randint(0, 1)) % 12],
            "date": date(start - timedelta(days=rng.randint(2, 20))),
            "future_date": date(start + timedelta(days=rng.randint(6, 30))),
            "amount": money(round(rng.uniform(24, 96), 2)),
            "delta": money(round(rng.uniform(4, 15), 2)),
            "credit": money(rng.choice((10, 15, 20, 25))),
            "invoice": f"INV-{rng.randint(100000, 999999)}",
            "order_no": f"BW-{rng.randint(100000, 999999)}",
            "ref": f"RF-{rng.randint(10000, 99999)}",
            "inc": str(rng.randint(1000, 9999)),
            "neighbours": str(rng.randint(12, 140)),
            "hours": str(rng.randint(3, 9)),
            "weeks": rng.choice(("three", "four", "five", "six")),
            "years": str(rng.randint(3, 12)),
            "plan": rng.choice(_PLANS),
            "paid_speed": rng.choice(("150 Mbps", "300 Mbps", "500 Mbps", "900 Mbps")),
            "speed": f"{rng.randint(2, 45)} Mbps",
            "device": rng.choice(_DEVICES),
            "version": f"4.{version[0]}.{version[1]}",
            "version_next": f"4.{version[0]}.{version[1] + 1}",
            "country": rng.choice(_COUNTRIES),
            "city": rng.choice(_CITIES),
            "postcode": f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(1, 20)} "
            f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}",
        }

    def customer_text(
        self, lang: str, topic: str, part: str, kind: str, mood: str, slots: dict[str, str]
    ) -> str:
        rng = self.rng
        generic = GENERIC[lang]
        phrases = TOPIC_PHRASES[lang][topic]
        if part == "open":
            opener = ""
            if kind == "post" and rng.random() < 0.7:
                opener = rng.choice(generic[f"post_open_{mood}"])
            elif kind == "dm" and rng.random() < 0.5:
                opener = rng.choice(generic["dm_open"])
            impact = rng.choice(phrases["impact"]) if rng.random() < 0.55 else ""
            closer = rng.choice(generic[f"close_{mood}"]) if rng.random() < 0.6 else ""
            text = _join(opener, rng.choice(phrases["open"]), impact, closer, lang=lang)
            if kind == "post" and "{brand}" not in text:
                text = f"{{brand}} {text}" if rng.random() < 0.6 else f"{text} {{brand}}"
            return text.format_map(slots)
        if part in ("chaser", "thanks"):
            text = rng.choice(generic[part])
        else:
            text = rng.choice(phrases.get(part) or generic["chaser"])
        if part != "detail" and rng.random() < 0.45:
            closers = generic["close_happy" if part == "thanks" else f"close_{mood}"]
            text = _join(text, rng.choice(closers), lang=lang)
        if kind == "post":
            text = f"{{brand}} {text}"  # a public reply in a thread starts with the mention
        return text.format_map(slots)

    def agent_text(
        self, lang: str, topic: str, part: str, mood: str, slots: dict[str, str], *, first: bool
    ) -> str:
        rng = self.rng
        generic = GENERIC[lang]
        phrases = TOPIC_PHRASES[lang][topic]
        if part == "ask_dm":
            lead = rng.choice(phrases["ack"]) if "ack" in phrases and rng.random() < 0.4 else ""
            body = _join(lead, rng.choice(generic["ask_dm"]), lang=lang)
        elif part == "close":
            body = rng.choice(generic["close"])
        else:
            body = rng.choice(phrases[part])
        greet = ""
        if (first or rng.random() < 0.3) and "{first}" not in body:
            greet = rng.choice(generic["greet"])
        sorry = ""
        if first and mood == "angry" and rng.random() < 0.75:
            sorry = rng.choice(generic["sorry"])
        sign = rng.choice(generic["sign"]) if rng.random() < 0.85 else ""
        return _join(greet, sorry, body, sign, lang=lang).format_map(slots)

    def message_id(self) -> str:
        while True:
            candidate = f"sbx-{self.rng.getrandbits(56):014x}"
            if candidate not in self.message_ids:
                self.message_ids.add(candidate)
                return candidate

    def render(
        self,
        sk: _Skeleton,
        times: list[datetime],
        topic_key: str,
        lang: str,
        mood: str,
        agent: StaffMember,
        slots: dict[str, str],
        vip: bool,
    ) -> list[Step]:
        rng = self.rng
        topic = TOPICS[topic_key]
        steps: list[Step] = []
        brand_replied = False
        agent_replied = False
        triage_actor = agent.email
        for spec, at in zip(sk.specs, times, strict=True):
            actor = _SUPERVISOR.email if spec.actor == "supervisor" else agent.email
            if spec.what == "in":
                text = self.customer_text(lang, topic_key, spec.part, spec.kind, mood, slots)
                answers = None
                if spec.kind == "post" and spec.part != "open":
                    answers = "brand" if brand_replied else "own"
                steps.append(CustomerMessage(at, spec.kind, text, self.message_id(), answers))
            elif spec.what == "reply":
                text = self.agent_text(
                    lang, topic_key, spec.part, mood, slots, first=not agent_replied
                )
                agent_replied = True
                brand_replied = brand_replied or spec.kind == PUBLIC
                steps.append(AgentReply(at, agent.email, spec.kind, text))
            elif spec.what == "change" and spec.triage:
                triage_actor = actor
                steps.append(
                    ConversationChange(
                        at,
                        actor,
                        priority=self.priority(topic_key, mood, vip),
                        assignee=agent.email if spec.assign else None,
                        team=topic.team,
                    )
                )
            elif spec.what == "change":
                until = None
                if spec.status == SNOOZED:
                    hours = rng.randint(2, 96)
                    until = (self.now + timedelta(hours=hours)).replace(
                        minute=0, second=0, microsecond=0
                    )
                steps.append(
                    ConversationChange(at, agent.email, status=spec.status, snoozed_until=until)
                )
            elif spec.what == "tags":
                tags = list(topic.tags)
                if vip:
                    tags.append("vip")
                if lang in LANGUAGE_TAGS:
                    tags.append(LANGUAGE_TAGS[lang])
                if mood == "angry" and rng.random() < 0.2:
                    tags.append("escalated")
                steps.append(TagChange(at, triage_actor, tuple(tags)))
            else:
                key = "vip" if vip else (topic_key if rng.random() < 0.75 else "any")
                steps.append(InternalNote(at, actor, rng.choice(NOTES[key]).format_map(slots)))
        return steps

    def priority(self, topic: str, mood: str, vip: bool) -> str | None:
        rng = self.rng
        if vip:
            return Priority.URGENT.value if topic in ("outage", "cancel") else Priority.HIGH.value
        if mood == "angry" and rng.random() < 0.35:
            return Priority.HIGH.value
        if topic == "outage" and rng.random() < 0.05:
            return Priority.URGENT.value
        if topic in ("praise", "sales", "moving") and rng.random() < 0.6:
            return Priority.LOW.value
        return None
