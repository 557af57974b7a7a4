"""Accuracy and throughput of the alert classifier on the labelled headlines.

Run from the repository root:  .venv/bin/python bench/classification.py [--rules PATH] [--data PATH]

Prints precision/recall/F1 per category and per action, severity and unit accuracy, the
misclassified items with their reasons, near-duplicate similarity figures, and throughput
(alerts/s, best of 3 runs over the set repeated to ≥ 20 000 alerts, fingerprinting included).

The data set has three parts: items without ``split`` are the ones the rules were tuned on;
``split: holdout`` and ``split: holdout2`` were written afterwards, each before the rules were run
on it (their first-run figures are the honest estimate; see the module's report).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from pasopati.alerts.models import Alert  # noqa: E402
from pasopati.alerts.classify import Classification, Rules, classify, classify_stream, load_rules, similarity  # noqa: E402
from pasopati.plan.roster import Roster  # noqa: E402
from pasopati.plan.runbook import Severity  # noqa: E402

DATA = ROOT / "bench" / "data" / "headlines.jsonl"
ACTIONS = ["start", "watch", "ignore"]
MIN_ALERTS = 20_000
NOT_ALERT_FIELDS = ("story", "split")
SPLITS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "semua": lambda i: True,
    "tuning": lambda i: "split" not in i,
    "holdout": lambda i: i.get("split") == "holdout",
    "holdout2": lambda i: i.get("split") == "holdout2",
}
Pair = tuple[dict[str, Any], Classification]


def load_items(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def alert_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("expect_") and k not in NOT_ALERT_FIELDS}


def prf(pairs: list[tuple[str | None, str | None]], label: str) -> tuple[float, float, float, int]:
    """Precision, recall, F1 and support of ``label`` over (expected, predicted) pairs."""
    tp = sum(1 for e, p in pairs if e == label and p == label)
    fp = sum(1 for e, p in pairs if e != label and p == label)
    fn = sum(1 for e, p in pairs if e == label and p != label)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, tp + fn


def macro_f1(pairs: list[tuple[str | None, str | None]], labels: list[str]) -> float:
    return sum(prf(pairs, label)[2] for label in labels) / len(labels)


def table(title: str, pairs: list[tuple[str | None, str | None]], labels: list[str]) -> None:
    print(f"\n{title}")
    print(f"  {'label':<24} {'prec':>6} {'recall':>6} {'F1':>6} {'n':>4}")
    for label in labels:
        p, r, f, n = prf(pairs, label)
        print(f"  {label:<24} {p:6.2f} {r:6.2f} {f:6.2f} {n:4d}")
    print(f"  {'macro':<24} {'':>6} {'':>6} {macro_f1(pairs, labels):6.2f} {len(pairs):4d}")


def both_started(pairs: list[Pair]) -> list[Pair]:
    return [(i, r) for i, r in pairs if i["expect_action"] == "start" and r.action == "start"]


def summary(name: str, pairs: list[Pair], categories: list[str]) -> None:
    macro = macro_f1([(i["expect_category"], r.category) for i, r in pairs], categories)
    action = sum(i["expect_action"] == r.action for i, r in pairs) / len(pairs)
    started = both_started(pairs)
    severity = sum(i["expect_severity"] == r.severity for i, r in started) / max(len(started), 1)
    wrong_start = sum(1 for i, r in pairs if i["expect_action"] != "start" and r.action == "start")
    print(f"  {name:<8} n={len(pairs):3d}  kategori macro-F1 {macro:.2f}  aksi tepat {action:.2f}"
          f"  tingkat tepat {severity:.2f} (n={len(started)})  salah start {wrong_start}")


def evaluate(pairs: list[Pair], rules: Rules) -> None:
    categories = list(rules.categories)
    print("\nRingkasan per bagian (aturan disetel pada 'tuning'; holdout ditulis sesudahnya):")
    for name, keep in SPLITS.items():
        chosen = [(i, r) for i, r in pairs if keep(i)]
        if chosen:
            summary(name, chosen, categories)
    table("Kategori (semua)", [(i["expect_category"], r.category) for i, r in pairs], categories)
    table("Aksi (semua)", [(i["expect_action"], r.action) for i, r in pairs], ACTIONS)

    started = both_started(pairs)
    exact = sum(1 for i, r in started if i["expect_severity"] == r.severity)
    near = sum(1 for i, r in started if abs(Severity(i["expect_severity"]).rank - Severity(str(r.severity)).rank) <= 1)
    print(f"\nTingkat (item start yang juga start): tepat {exact}/{len(started)},"
          f" selisih ≤ 1 tingkat {near}/{len(started)}")
    with_unit = [(i, r) for i, r in pairs if i["expect_action"] != "ignore"]
    units = sum(1 for i, r in with_unit if i["expect_unit"] == r.unit)
    print(f"Unit (item start/watch): {units}/{len(with_unit)}")
    not_start = [(i, r) for i, r in pairs if i["expect_action"] != "start"]
    wrong = sum(1 for _, r in not_start if r.action == "start")
    ignored = [(i, r) for i, r in not_start if i["expect_action"] == "ignore"]
    print(f"Item ignore/watch yang salah start: {wrong} dari {len(not_start)}"
          f" (item ignore: {sum(r.action == 'start' for _, r in ignored)} dari {len(ignored)})")
    misclassified(pairs)


def misclassified(pairs: list[Pair]) -> None:
    print("\nSalah klasifikasi (kategori, aksi, tingkat atau unit):")
    wrong = 0
    for n, (item, result) in enumerate(pairs, start=1):
        expected = (item["expect_category"], item["expect_action"], item["expect_severity"], item["expect_unit"])
        got = (result.category, result.action, result.severity, result.unit)
        if expected != got:
            wrong += 1
            split = f" [{item['split']}]" if item.get("split") else ""
            print(f"- #{n}{split} {(item.get('title') or item['text'])[:90]}")
            print(f"    harap {expected}\n    dapat {got}")
            print("    " + "\n    ".join(result.reasons))
    print(f"  ({wrong} dari {len(pairs)} item berbeda pada salah satu label)")


def duplicates(pairs: list[Pair]) -> None:
    """Jaccard of same-story pairs (one incident, different outlets) against other pairs at the same
    unit and category — the pairs a correlator would actually have to tell apart."""
    same, other = [], []
    for (a, ra), (b, rb) in combinations(pairs, 2):
        if not a["expect_unit"] or (a["expect_unit"], a["expect_category"]) != (b["expect_unit"], b["expect_category"]):
            continue
        score = similarity(ra.fingerprint, rb.fingerprint)
        (same if a.get("story") and a.get("story") == b.get("story") else other).append(score)
    if same and other:
        print(f"\nNear-duplicate (Jaccard bigram, unit+kategori sama): cerita sama {sorted(round(s, 2) for s in same)};"
              f" cerita lain maks {max(other):.2f} ({len(other)} pasang)")


def throughput(items: list[dict[str, Any]], rules: Rules, roster: Roster) -> None:
    repeat = -(-MIN_ALERTS // len(items))
    batch = [Alert.model_validate(alert_fields(i)) for i in items] * repeat
    lines = [json.dumps(alert_fields(i), ensure_ascii=False) for i in items] * repeat
    best_classify = best_stream = 0.0
    for _ in range(3):
        started = time.perf_counter()
        for alert in batch:
            classify(alert, rules, roster)  # the fingerprint is computed inside classify
        best_classify = max(best_classify, len(batch) / (time.perf_counter() - started))
        started = time.perf_counter()
        classify_stream(lines, io.StringIO(), rules, roster)
        best_stream = max(best_stream, len(lines) / (time.perf_counter() - started))
    print(f"\nThroughput ({len(batch)} alert, terbaik dari 3):")
    print(f"  classify(Alert) + fingerprint : {best_classify:8.0f} alert/s")
    print(f"  classify_stream (JSON → JSON) : {best_stream:8.0f} alert/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=None, help="rules file (default runbooks/classification.yaml)")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    rules = load_rules(args.rules)
    roster = Roster.model_validate(yaml.safe_load((ROOT / "runbooks" / "roster.yaml").read_text(encoding="utf-8")))
    items = load_items(args.data)
    print(f"{len(items)} item berlabel dari {args.data}")
    pairs = [(i, classify(Alert.model_validate(alert_fields(i)), rules, roster)) for i in items]
    evaluate(pairs, rules)
    duplicates(pairs)
    throughput(items, rules, roster)


if __name__ == "__main__":
    main()
