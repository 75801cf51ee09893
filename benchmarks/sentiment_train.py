"""Fit the sentiment model's small weight matrix and write it into the package.

    python -m benchmarks.sentiment_train          # fit on all 2,000 labelled tweets, write weights
    python -m benchmarks.sentiment_train --check  # only print cross-validation, write nothing

The labelled tweets (TweetEval's sentiment validation split) are read from ``../shared/data``
and never copied: what lands in ``src/socialdesk/pipeline/enrichment/_sentiment_weights.py`` is
3 x 10 coefficients and 3 intercepts of a multinomial logistic regression over the lexicon
features of :func:`socialdesk.pipeline.enrichment.sentiment.sentiment_features`.

Choices made before looking at any score and not tuned: balanced class weights (the tweets' class
mix is not care traffic's), L2 penalty with C = 1 on standardised features, 5 stratified folds with
seed 0 for the reported cross-validation. Fitting uses numpy only (Newton's method).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from socialdesk.pipeline.enrichment.sentiment import FEATURE_NAMES, sentiment_features

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT.parent / "shared" / "data"
WEIGHTS_FILE = ROOT / "src" / "socialdesk" / "pipeline" / "enrichment" / "_sentiment_weights.py"
TEXT_FILE = "sentiment_val_text.txt"
LABEL_FILE = "sentiment_val_labels.txt"
CLASSES = 3
PENALTY_C = 1.0
FOLDS = 5
SEED = 0

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def data_missing(data_dir: Path = DATA_DIR) -> str | None:
    """Why the labelled tweets cannot be read, or None when they can."""
    for name in (TEXT_FILE, LABEL_FILE):
        if not (data_dir / name).exists():
            return f"{data_dir / name} is absent: the shared data sets live beside the project"
    return None


def load_labelled(data_dir: Path = DATA_DIR) -> tuple[list[str], list[int]]:
    """The 2,000 tweets and labels (0 negative, 1 neutral, 2 positive).

    The text file stores some characters as literal ``\\uXXXX`` escapes (the right single
    quotation mark and the comma); they are decoded so the model sees what a platform would
    deliver.
    """
    texts = (data_dir / TEXT_FILE).read_text(encoding="utf-8").splitlines()
    texts = [_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), t) for t in texts]
    labels = [int(x) for x in (data_dir / LABEL_FILE).read_text(encoding="utf-8").split()]
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    return texts, labels


def feature_matrix(texts: Sequence[str]) -> FloatArray:
    return np.array([sentiment_features(t) for t in texts], dtype=np.float64)


def fit_logistic(
    x: FloatArray, y: IntArray, *, c: float = PENALTY_C
) -> tuple[FloatArray, FloatArray]:
    """Multinomial logistic regression with balanced class weights and an L2 penalty.

    Minimises sum_i w_i * -log p(y_i | x_i) + ||W||^2 / (2c) on standardised features (the
    intercepts are not penalised), by Newton's method; returns the coefficients and intercepts
    for the raw features (the standardisation folded in).
    """
    n, d = x.shape
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    xs = np.hstack([(x - mean) / std, np.ones((n, 1))])
    counts = np.bincount(y, minlength=CLASSES).astype(np.float64)
    sample_w = (n / (CLASSES * counts))[y]
    onehot = np.eye(CLASSES)[y]
    ridge = np.full(d + 1, 1.0 / c)
    ridge[-1] = 1e-8  # intercepts: just enough to pin the softmax's free constant
    reg = np.tile(ridge, CLASSES)
    params = np.zeros(CLASSES * (d + 1))

    def loss_and_probs(p: FloatArray) -> tuple[float, FloatArray]:
        logits = xs @ p.reshape(CLASSES, d + 1).T
        logits -= logits.max(axis=1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        loss = -float((sample_w * (onehot * log_probs).sum(axis=1)).sum())
        return loss + 0.5 * float((reg * p * p).sum()), np.exp(log_probs)

    loss, probs = loss_and_probs(params)
    for _ in range(100):
        grad = (((probs - onehot) * sample_w[:, None]).T @ xs).ravel() + reg * params
        # Hessian blocks: sum_i w_i (diag(p_i) - p_i p_i^T)[k, l] * x_i x_i^T
        hess = np.empty((CLASSES, d + 1, CLASSES, d + 1))
        for k in range(CLASSES):
            for m in range(CLASSES):
                coef = probs[:, k] * ((1.0 if k == m else 0.0) - probs[:, m]) * sample_w
                hess[k, :, m, :] = (xs * coef[:, None]).T @ xs
        hess_flat = hess.reshape(CLASSES * (d + 1), CLASSES * (d + 1)) + np.diag(reg)
        step = np.linalg.solve(hess_flat, grad)
        size = 1.0
        while True:
            candidate = params - size * step
            new_loss, new_probs = loss_and_probs(candidate)
            if new_loss <= loss or size < 1e-6:
                break
            size /= 2
        params, probs = candidate, new_probs
        if loss - new_loss < 1e-10 * max(1.0, abs(loss)):
            loss = new_loss
            break
        loss = new_loss
    w = params.reshape(CLASSES, d + 1)
    coef = w[:, :d] / std
    intercept = w[:, d] - (coef * mean).sum(axis=1)
    return coef, intercept


def predict(coef: FloatArray, intercept: FloatArray, x: FloatArray) -> IntArray:
    return np.asarray((x @ coef.T + intercept).argmax(axis=1), dtype=np.int64)


def stratified_folds(y: IntArray, folds: int = FOLDS, seed: int = SEED) -> IntArray:
    """Fold number of each sample: every class shuffled (fixed seed) and dealt round-robin."""
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(y), dtype=np.int64)
    for cls in range(CLASSES):
        members = np.flatnonzero(y == cls)
        rng.shuffle(members)
        fold_of[members] = np.arange(len(members)) % folds
    return fold_of


def cross_val_predict(
    x: FloatArray,
    y: IntArray,
    *,
    folds: int = FOLDS,
    seed: int = SEED,
    fit: Callable[[FloatArray, IntArray], tuple[FloatArray, FloatArray]] = fit_logistic,
) -> IntArray:
    """Out-of-fold predictions: each sample predicted by a model that never saw it."""
    fold_of = stratified_folds(y, folds, seed)
    out = np.empty(len(y), dtype=np.int64)
    for fold in range(folds):
        test = fold_of == fold
        coef, intercept = fit(x[~test], y[~test])
        out[test] = predict(coef, intercept, x[test])
    return out


def recalls(y: Sequence[int] | IntArray, pred: Sequence[int] | IntArray) -> list[float]:
    """Recall of each class (negative, neutral, positive)."""
    ya, pa = np.asarray(y), np.asarray(pred)
    return [float((pa[ya == c] == c).mean()) for c in range(CLASSES)]


def macro_recall(y: Sequence[int] | IntArray, pred: Sequence[int] | IntArray) -> float:
    return sum(recalls(y, pred)) / CLASSES


def _numbers(values: Sequence[float], indent: str) -> str:
    """Five numbers a line, so the generated file stays within the line length."""
    cells = [f"{v:.6f}," for v in values]
    return "\n".join(indent + " ".join(cells[i : i + 5]) for i in range(0, len(cells), 5))


def render_weights(coef: FloatArray, intercept: FloatArray, n_samples: int, cv: float) -> str:
    rows = "\n".join(f"    (\n{_numbers(row, ' ' * 8)}\n    )," for row in coef.tolist())
    names = "\n".join(f'    "{name}",' for name in FEATURE_NAMES)
    return (
        '"""Weights of the sentiment model, generated by\n'
        "``python -m benchmarks.sentiment_train``.\n"
        "\n"
        f"Multinomial logistic regression (balanced class weights, L2, C={PENALTY_C}) fitted on\n"
        f"{n_samples} labelled tweets (TweetEval sentiment validation split, read from\n"
        f"../shared/data, not shipped). {FOLDS}-fold stratified cross-validated macro recall\n"
        f"(seed {SEED}): {cv:.4f}. Rows: negative, neutral, positive; columns: FEATURE_NAMES.\n"
        '"""\n'
        "\n"
        "FEATURE_NAMES: tuple[str, ...] = (\n"
        f"{names}\n"
        ")\n"
        "# fmt: off\n"
        "COEF: tuple[tuple[float, ...], ...] = (\n"
        f"{rows}\n"
        ")\n"
        "INTERCEPT: tuple[float, ...] = (\n"
        f"{_numbers(intercept.tolist(), ' ' * 4)}\n"
        ")\n"
        "# fmt: on\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="print CV only, write nothing")
    args = parser.parse_args(argv)
    missing = data_missing()
    if missing:
        print(f"skipped: {missing}", file=sys.stderr)
        return 0
    texts, labels = load_labelled()
    x = feature_matrix(texts)
    y = np.asarray(labels, dtype=np.int64)
    cv_pred = cross_val_predict(x, y)
    cv = macro_recall(y, cv_pred)
    print(f"{FOLDS}-fold CV macro recall (seed {SEED}): {cv:.4f}  per class {recalls(y, cv_pred)}")
    if args.check:
        return 0
    coef, intercept = fit_logistic(x, y)
    WEIGHTS_FILE.write_text(render_weights(coef, intercept, len(y), cv), encoding="utf-8")
    print(f"wrote {WEIGHTS_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
