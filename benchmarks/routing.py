"""Routing throughput: messages per second through enrichment and 500 rules, in one process,
and the sentiment macro-recall on the shared validation set.

    python -m benchmarks.routing        # writes benchmarks/results/routing.json

What it measures (``run()`` returns the same dict it writes):

* ``enrich_and_rules`` (the headline, target >= 5,000 messages/s): messages are enriched as
  the pipeline does it, a batch of ``BATCH`` at a time (``pipeline.ingest.enrich_messages``:
  language, sentiment, personal data, each step over the whole batch), then each message's
  facts are built and the 500 rules (compiled once, as a live batch does) are evaluated in
  order. No database: the cost of the understanding and the decision themselves. Also
  reported split in its two parts (enrichment alone, rules alone on prepared facts), and
  ``enrichment_one_by_one``: ``enrich_message`` called per message (the API of
  ``socialdesk analyze``), which gets no help from batching. The corpus cycles through its
  2,000 distinct texts, so no batch holds the same text twice: the batch's memo of identical
  texts does not flatter the figures.
* ``stored_pipeline_sqlite``: the same messages as live sandbox-like events through
  ``ingest_batch`` (with enrichment) and ``pipeline.routing.route_result`` (rules loaded from
  the database, decisions written to conversations with their events; no assignment / SLA /
  auto-reply steps), 1,000 events per transaction on a fresh SQLite file. For context, no
  target.
* ``sentiment``: macro-averaged recall (TweetEval's metric) on ``../shared/data/sentiment_val_*``
  with the figures of benchmarks.sentiment: the model cross-validated (the estimate) and the
  shipped weights in sample; skipped with the reason when the data set is absent.

The 500 rules are generated with a fixed seed in the shapes admins write: channel, account,
visibility, language, sentiment, influence, contact tags, earlier conversations and a text
query (words, OR-lists, phrases, prefixes, NOT) in all/any combinations, with tag, priority,
team and SLA actions; none stops the evaluation, so every message meets all 500.
Messages are the 2,000 labelled tweets (or generated care messages without the data set),
repeated to ``MESSAGES``. Best of ``RUNS`` timed runs; wall and CPU time both recorded.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import RESULTS, Timer, machine_info, sqlite_url, write_json
from benchmarks.sentiment_train import (
    FOLDS,
    SEED,
    cross_val_predict,
    data_missing,
    load_labelled,
    macro_recall,
)
from socialdesk.domain.rules import (
    MessageFacts,
    RuleEnvironment,
    RuleSet,
    compile_rules,
    validate_rule,
)
from socialdesk.domain.types import Visibility
from socialdesk.pipeline.enrichment.sentiment import LABELS, analyze_sentiment, sentiment_features
from socialdesk.pipeline.events import Author, InboundEvent
from socialdesk.pipeline.ingest import enrich_message, enrich_messages, ingest_batch
from socialdesk.pipeline.routing import route_result
from socialdesk.services.accounts import create_team
from socialdesk.services.rules import RuleInput, create_rule
from socialdesk.services.sandbox import create_sandbox_account
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.db import Database
from socialdesk.store.migrate import migrate

__all__ = ["main", "run", "summary"]

RULES = 500
MESSAGES = 10_000
STORED_MESSAGES = 5_000
BATCH = 1_000
RUNS = 3
RULE_SEED = 5
TARGET = 5_000  # messages/s through enrichment and 500 rules, from the issue
OUT = RESULTS / "routing.json"

_WORDS = (
    "refund",
    "late",
    "missing",
    "delivery",
    "router",
    "wifi",
    "outage",
    "bill",
    "charged",
    "cancel",
    "upgrade",
    "password",
    "account",
    "app",
    "crash",
    "slow",
    "signal",
    "store",
    "order",
    "package",
    "flight",
    "delay",
    "baggage",
    "seat",
    "battery",
    "screen",
    "update",
    "support",
    "agent",
    "waiting",
    "help",
    "broken",
    "price",
    "discount",
    "card",
    "payment",
)
_PREFIXES = ("refund*", "deliver*", "cancel*", "charg*", "updat*", "crash*", "wait*", "pay*")
_FALLBACK_TEXTS = (
    "@brand my refund is late and nobody answers, this is ridiculous",
    "Thank you so much for the quick help with my router!",
    "Is the store on Main street open on Sunday?",
    "My package is missing again. Order #84412934, please check",
    "Llevo dos semanas sin internet y nadie me ayuda 😡",
    "The app keeps crashing after the update",
)


def _query(rng: random.Random) -> str:
    kind = rng.randrange(5)
    a, b, c = rng.sample(_WORDS, 3)
    if kind == 0:
        return f"{a} AND ({b} OR {c})"
    if kind == 1:
        return f"{rng.choice(_PREFIXES)} NOT {a}"
    if kind == 2:
        return f'"{a} {b}" OR {c}'
    if kind == 3:
        return " OR ".join(rng.sample(_WORDS, 4))
    return f"{a} {b}"


def rule_bodies(
    team_ids: list[int], account_ids: list[int], count: int = RULES
) -> list[dict[str, Any]]:
    """``count`` plausible rules, the same for the same arguments."""
    rng = random.Random(RULE_SEED)
    makers = [
        lambda: {
            "field": "channel",
            "op": "in",
            "value": rng.sample(["sandbox", "twitter", "facebook"], 1),
        },
        lambda: {"field": "account", "op": "in", "value": rng.sample(account_ids, 1)},
        lambda: {"field": "visibility", "op": "is", "value": rng.choice(["public", "private"])},
        lambda: {
            "field": "language",
            "op": rng.choice(["in", "not_in"]),
            "value": rng.sample(["en", "es", "fr", "de", "pt"], 2),
        },
        lambda: {
            "field": "sentiment",
            "op": "in",
            "value": rng.sample(["negative", "neutral", "positive"], 1),
        },
        lambda: {
            "field": "influence",
            "op": "at_least",
            "value": rng.choice(["medium", "high", "top"]),
        },
        lambda: {
            "field": "contact_tags",
            "op": rng.choice(["any", "none"]),
            "value": [rng.choice(["vip", "press", "blocked"])],
        },
        lambda: {
            "field": "earlier_conversations",
            "op": rng.choice(["gte", "eq"]),
            "value": rng.randrange(3),
        },
        lambda: {
            "field": "sentiment_score",
            "op": "lte",
            "value": round(rng.uniform(-0.9, -0.2), 2),
        },
    ]
    bodies = []
    for number in range(count):
        conditions = [m() for m in rng.sample(makers, rng.randrange(1, 4))]
        conditions.insert(
            rng.randrange(len(conditions) + 1),
            {"field": "text", "op": "matches", "value": _query(rng)},
        )
        actions: list[dict[str, Any]] = [{"type": "add_tags", "value": [f"topic-{number % 40}"]}]
        roll = rng.random()
        if roll < 0.3:
            actions.append({"type": "set_team", "value": rng.choice(team_ids)})
        if roll > 0.6:
            actions.append({"type": "set_priority", "value": rng.choice(["high", "urgent", "low"])})
        bodies.append(
            {
                "name": f"rule {number + 1}",
                "match": "all",
                "conditions": conditions,
                "actions": actions,
            }
        )
    return bodies


def _texts() -> tuple[list[str], str]:
    if data_missing() is None:
        texts, _labels = load_labelled()
        return texts, "the 2,000 labelled tweets of ../shared/data/sentiment_val_text.txt"
    return list(_FALLBACK_TEXTS), "generated care messages (../shared/data absent)"


def _corpus(texts: list[str], count: int) -> list[str]:
    return [texts[i % len(texts)] for i in range(count)]


def _facts(
    text: str, enriched: tuple[str, str, float, list[str]], i: int, at: datetime
) -> MessageFacts:
    language, sentiment, score, pii = enriched
    return MessageFacts(
        platform="sandbox",
        visibility="public" if i % 3 else "private",
        text=text,
        at=at,
        account_id=1 + i % 2,
        language=language,
        sentiment=sentiment,
        sentiment_score=score,
        pii_kinds=pii,
        followers=(i * 7919) % 120_000,
        verified=i % 50 == 0,
        contact_tags=("vip",) if i % 20 == 0 else (),
        earlier_conversations=i % 4,
        new_conversation=i % 3 == 0,
    )


def _best(runs: list[Timer], count: int) -> dict[str, Any]:
    best = min(runs, key=lambda t: t.wall)
    return {
        "messages": count,
        "runs": len(runs),
        "wall_seconds_all": [round(t.wall, 3) for t in runs],
        "cpu_seconds_all": [round(t.cpu, 3) for t in runs],
        "messages_per_second": round(count / best.wall),
        "messages_per_second_cpu": round(count / min(t.cpu for t in runs)),
    }


def _in_memory(texts: list[str]) -> dict[str, Any]:
    specs = [
        validate_rule(**{k: v for k, v in b.items() if k != "name"}, id=n + 1)
        for n, b in enumerate(rule_bodies([1, 2, 3, 4, 5], [1, 2]))
    ]
    corpus = _corpus(texts, MESSAGES)
    at = datetime(2026, 1, 14, 10, tzinfo=UTC)
    env = RuleEnvironment()
    enrich_message("warm up the language model")
    full, enrich_only, one_by_one, rules_only = [], [], [], []
    matched = 0
    for _ in range(RUNS):
        with Timer() as t:
            rules = RuleSet(compile_rules(specs))  # once, as the pipeline's cached rule set
            matched = 0
            for first in range(0, len(corpus), BATCH):
                batch = corpus[first : first + BATCH]
                for i, (text, e) in enumerate(zip(batch, enrich_messages(batch), strict=True)):
                    decision = rules.evaluate(_facts(text, e, first + i, at), env)
                    matched += len(decision.matched_rule_ids)
        full.append(t)
        with Timer() as t:
            enriched = [
                e
                for first in range(0, len(corpus), BATCH)
                for e in enrich_messages(corpus[first : first + BATCH])
            ]
        enrich_only.append(t)
        with Timer() as t:
            for text in corpus:
                enrich_message(text)
        one_by_one.append(t)
        facts = [
            _facts(text, e, i, at) for i, (text, e) in enumerate(zip(corpus, enriched, strict=True))
        ]
        with Timer() as t:
            for f in facts:
                rules.evaluate(f, env)
        rules_only.append(t)
    return {
        "rules": len(specs),
        "rule_matches_per_message": round(matched / len(corpus), 2),
        **_best(full, len(corpus)),
        "batch_size": BATCH,
        "enrichment_only": _best(enrich_only, len(corpus)),
        "enrichment_one_by_one": _best(one_by_one, len(corpus)),
        "rules_only": _best(rules_only, len(corpus)),
    }


def _stored(texts: list[str]) -> dict[str, Any]:
    corpus = _corpus(texts, STORED_MESSAGES)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(sqlite_url(Path(tmp), "routing"))
        migrate(db)
        with db.session() as session:
            workspace_id = get_or_create_workspace(session).id
            accounts = [
                create_sandbox_account(session, workspace_id, name=h, handle=h).id
                for h in ("brand", "brand_care")
            ]
            teams = [create_team(session, workspace_id, f"Team {n}").id for n in range(5)]
            for body in rule_bodies(teams, accounts):
                create_rule(session, workspace_id, RuleInput(**body, enabled=True))
        start = datetime(2026, 1, 14, 8, tzinfo=UTC)
        events = [
            InboundEvent(
                platform="sandbox",
                platform_message_id=f"m{i}",
                author=Author(
                    external_id=f"c{i % 1500}",
                    handle=f"c{i % 1500}",
                    followers=(i * 7919) % 120_000,
                ),
                text=text,
                platform_time=start + timedelta(seconds=i),
                visibility=Visibility.PUBLIC if i % 3 else Visibility.PRIVATE,
                channel_account_id=accounts[i % 2],
            )
            for i, text in enumerate(corpus)
        ]
        routed = 0
        with Timer() as t:
            for first in range(0, len(events), BATCH):
                with db.session() as session:
                    result = ingest_batch(session, workspace_id, events[first : first + BATCH])
                    ctx = route_result(session, result, [])
                    routed += (
                        sum(1 for o in ctx.outcomes.values() if o.matched_rule_ids) if ctx else 0
                    )
        db.dispose()
    return {
        "messages": len(events),
        "batch_size": BATCH,
        "conversations_with_a_matching_rule": routed,
        "wall_seconds": round(t.wall, 3),
        "cpu_seconds": round(t.cpu, 3),
        "messages_per_second": round(len(events) / t.wall),
    }


def _sentiment() -> dict[str, Any]:
    missing = data_missing()
    if missing:
        return {"skipped": missing}
    texts, labels = load_labelled()
    y = np.asarray(labels, dtype=np.int64)
    x = np.array([sentiment_features(t) for t in texts], dtype=np.float64)
    cv = cross_val_predict(x, y, folds=FOLDS, seed=SEED)
    index = {name: i for i, name in enumerate(LABELS)}
    shipped = [index[analyze_sentiment(t).label] for t in texts]
    return {
        "data": "../shared/data/sentiment_val_* (TweetEval sentiment validation split)",
        "texts": len(texts),
        "macro_recall": round(macro_recall(y, cv), 4),
        "how": f"the model refitted in {FOLDS}-fold stratified cross-validation (seed {SEED}), "
        "as benchmarks/sentiment.py measures it",
        "shipped_in_sample_macro_recall": round(macro_recall(y, shipped), 4),
        "published_reference": {"svm": 0.629, "fasttext": 0.629},
    }


def run(note: str | None = None) -> dict[str, Any]:
    texts, source = _texts()
    result: dict[str, Any] = {
        "benchmark": "routing",
        "machine": machine_info(),
        "parameters": {
            "rules": RULES,
            "messages": MESSAGES,
            "stored_messages": STORED_MESSAGES,
            "runs": RUNS,
            "rule_seed": RULE_SEED,
            "texts": source,
            "load_average_1min": round(os.getloadavg()[0], 2),
        },
    }
    if note:
        result["note"] = note
    result["enrich_and_rules"] = _in_memory(texts)
    result["stored_pipeline_sqlite"] = _stored(texts)
    result["sentiment"] = _sentiment()
    rate = result["enrich_and_rules"]["messages_per_second"]
    result["target"] = {
        "what": "messages/s through enrichment and 500 rules in one process",
        "minimum": TARGET,
        "measured": rate,
        "met": rate >= TARGET,
    }
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def summary(result: dict[str, Any]) -> list[str]:
    e = result["enrich_and_rules"]
    lines = [
        f"enrichment + {e['rules']} rules: {e['messages_per_second']:,} messages/s "
        f"(enrichment alone {e['enrichment_only']['messages_per_second']:,}/s, one by one "
        f"{e['enrichment_one_by_one']['messages_per_second']:,}/s, rules alone "
        f"{e['rules_only']['messages_per_second']:,}/s); stored pipeline on SQLite "
        f"{result['stored_pipeline_sqlite']['messages_per_second']:,}/s",
    ]
    s = result.get("sentiment", {})
    if "macro_recall" in s:
        lines.append(f"sentiment macro recall {s['macro_recall']:.4f} (cross-validated)")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--note", help="free text recorded in the result (which code, why)")
    args = parser.parse_args(argv)
    result = run(note=args.note)
    write_json(OUT, result)
    for line in summary(result):
        print(f"routing: {line}")
    verdict = "met" if result["target"]["met"] else "NOT met"
    print(
        f"routing target: >= {TARGET:,} messages/s through enrichment and {RULES} rules: {verdict}"
    )


if __name__ == "__main__":
    main()
