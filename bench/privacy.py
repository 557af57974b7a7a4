"""Recall, false positives and speed of the personal-data gate (pasopati.privacy.scan).

Run from the repository root:  .venv/bin/python bench/privacy.py [--repeat 5] [--release-words 600]

Prints, on tests/data/privacy:
  recall           planted items found with their rule and exact text / planted items (per rule too),
                   and the findings in planted texts that no item names (unplanted)
  false positives  clean statements with any finding / clean statements (each finding listed)
  speed            ms per statement (median, p90, max) over every corpus text, --repeat times each,
                   and for a ~600-word press release built from the clean statements (plus one
                   planted phone number), against the goal of ≤ 50 ms: it runs at every draft, edit
                   and publish
  build            the one-time cost: importing pasopati.privacy (Presidio, phonenumbers) and building
                   the engine (spaCy's import and the blank Indonesian pipeline), and the first scan

Texts marked ``split: holdout`` were written after the rules and run once before any change; that
first run (17/21 planted items exact, 19/21 overlapping; 1/6 clean statements flagged) is the honest
estimate. A second batch, ``split: holdout2``, found 13/13 on its first run with one finding too many
and flagged 1/6 clean statements (a general "gejala depresi"; that statement is not in the corpus).
The figures printed now come after the fixes they prompted; the other texts were written alongside
the rules.

Figures, not assertions (tests/test_privacy.py asserts the corpus; nothing here is timed there).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml

DATA = ROOT / "tests" / "data" / "privacy"
GOAL_MS = 50.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def spread(label: str, values_ms: list[float]) -> None:
    verdict = "ok" if pct(values_ms, 0.9) <= GOAL_MS else "OVER"
    print(
        f"  {label:<38} median {statistics.median(values_ms):6.2f} ms   p90 {pct(values_ms, 0.9):6.2f} ms"
        f"   max {max(values_ms):6.2f} ms   (n={len(values_ms)}; goal ≤ {GOAL_MS:g} ms: {verdict})"
    )


def options(entry: dict[str, Any], allow: list[str]) -> dict[str, Any]:
    return {
        "private_terms": entry.get("private_terms", ()),
        "allow": entry.get("allow", allow),
        "child_unit": entry.get("child_unit", False),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="scans of each corpus text for the timings",
    )
    parser.add_argument(
        "--release-words",
        type=int,
        default=600,
        help="length of the long press release",
    )
    parser.add_argument(
        "--release-runs", type=int, default=50, help="scans of the long press release"
    )
    args = parser.parse_args()

    planted = yaml.safe_load((DATA / "planted.yaml").read_text(encoding="utf-8"))
    clean = yaml.safe_load((DATA / "clean.yaml").read_text(encoding="utf-8"))
    print(
        f"Python {sys.version.split()[0]} · {os.cpu_count()} cores · load avg {os.getloadavg()[0]:.2f}"
    )

    t0 = time.perf_counter()
    from pasopati.privacy import scan
    from pasopati.privacy.engine import analyzer

    t1 = time.perf_counter()
    analyzer()
    t2 = time.perf_counter()
    scan("Hubungi 0812-3456-7890.")
    t3 = time.perf_counter()
    print("\nbuild (one-time)")
    print(f"  import pasopati.privacy   {1000 * (t1 - t0):8.0f} ms")
    print(f"  build the engine          {1000 * (t2 - t1):8.0f} ms")
    print(f"  first scan                {1000 * (t3 - t2):8.1f} ms")

    caught, total, unplanted = Counter(), Counter(), []
    splits: Counter[tuple[str, bool]] = Counter()  # (split, caught) -> items
    for entry in planted["texts"]:
        findings = scan(entry["text"], **options(entry, planted["allow"]))
        found = {(f.rule, f.text) for f in findings}
        wanted = {(i["rule"], i["text"]) for i in entry["items"]}
        for rule, text in wanted:
            total[rule] += 1
            caught[rule] += (rule, text) in found
            splits[entry.get("split", "tuned"), (rule, text) in found] += 1
            if (rule, text) not in found:
                print(f"  MISSED {entry['id']}: {rule} {text!r}")
        unplanted += [(entry["id"], rule, text) for rule, text in found - wanted]
    n_caught, n_total = sum(caught.values()), sum(total.values())
    print(
        f"\nrecall: {n_caught}/{n_total} planted items = {100 * n_caught / n_total:.1f}%"
    )
    print("  " + ", ".join(f"{r} {caught[r]}/{total[r]}" for r in sorted(total)))
    for split in sorted({s for s, _ in splits}):
        hit = splits[split, True]
        print(f"  split {split}: {hit}/{hit + splits[split, False]}")
    print(f"  unplanted findings in planted texts: {len(unplanted)}")
    for item in unplanted:
        print(f"    {item}")

    flagged: Counter[tuple[str, bool]] = Counter()  # (split, flagged) -> statements
    for entry in clean["statements"]:
        findings = scan(entry["text"], **options(entry, clean["allow"]))
        flagged[entry.get("split", "tuned"), bool(findings)] += 1
        for f in findings:
            print(f"  FALSE POSITIVE {entry['id']}: {f.rule} {f.text!r}")
    n_flagged, n_clean = (
        sum(n for (_, bad), n in flagged.items() if bad),
        len(clean["statements"]),
    )
    print(f"false positives: {n_flagged}/{n_clean} clean statements flagged")
    for split in sorted({s for s, _ in flagged}):
        print(
            f"  split {split}: {flagged[split, True]}/{flagged[split, True] + flagged[split, False]}"
        )

    print(f"\nspeed (time per statement; {args.repeat} scans of each text)")
    corpus = [(e, planted["allow"]) for e in planted["texts"]] + [
        (e, clean["allow"]) for e in clean["statements"]
    ]
    for label, entries in (
        ("planted texts", corpus[: len(planted["texts"])]),
        ("clean statements", corpus[len(planted["texts"]) :]),
        ("whole corpus", corpus),
    ):
        times = []
        for entry, allow in entries:
            for _ in range(args.repeat):
                start = time.perf_counter()
                scan(entry["text"], **options(entry, allow))
                times.append(1000 * (time.perf_counter() - start))
        spread(f"{label} ({len(entries)})", times)

    words: list[str] = []
    for entry in clean["statements"]:
        words += entry["text"].split()
    release = (
        " ".join(words[: args.release_words]) + " Narahubung pribadi: 0812-3456-7890."
    )
    times = []
    for _ in range(args.release_runs):
        start = time.perf_counter()
        findings = scan(release, allow=clean["allow"])
        times.append(1000 * (time.perf_counter() - start))
    spread(f"press release ({len(release.split())} words)", times)
    print(f"    its findings: {[(f.rule, f.text) for f in findings]}")

    # Hostile layout at the size limit: one run of 20 000 spaces once took 16 s for 2 000 (unbounded
    # look-behinds); every pattern must stay linear in it.
    hostile = "a" + " " * 19_990 + "Xqzv"
    times = []
    for _ in range(3):
        start = time.perf_counter()
        scan(hostile)
        times.append(1000 * (time.perf_counter() - start))
    spread("20 000 characters of spaces", times)


if __name__ == "__main__":
    main()
