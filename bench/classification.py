"""Accuracy of the alert classifier on a labelled part of tests/data/classification/.

Run from the repository root:
  .venv/bin/python bench/classification.py [--part dev|dev2|dev3|dev4|dev5|heldout] [--second-analyst FILE] [--data-dir DIR] [--show-errors] [--timing]

Classifies every item of the part (``<part>.jsonl``: title, text, source, url, platform, reach and a
``label`` {action, category, min_severity, unit, kanwil}) with the shipped rules, the roster and the
unit directory (the gazetteer when pasopati.plan.gazetteer is there, else the roster), and prints:

  category    accuracy over items whose label has a category, and macro-F1 over the five categories
  severity    within [min_severity, min_severity + 1] over items with a min_severity (None is wrong)
  unit        accuracy over items with a unit label;  kanwil: over items with a kanwil label
  starts      routine-news false starts (labelled ignore/watch, came out start) as a rate; missed starts

beside the targets (category ≥ 95 %, severity ≥ 90 %, unit ≥ 95 %, false starts ≤ 10 %);
``--show-errors`` lists every item that misses a label, with the classifier's reasons; ``--timing``
times classify() on a typical lede and on 50 000 characters of random and of real-looking text.

The default part is ``heldout``: nobody tunes on it. Tune on ``dev`` … ``dev4`` only; ``dev5`` is kept untuned as a check
(tests/data/classification/README.md).
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from pasopati.alerts.classify import Classification, Rules, classify, load_rules  # noqa: E402
from pasopati.alerts.entities import UnitDirectory  # noqa: E402
from pasopati.alerts.models import MAX_ALERT_TEXT, Alert  # noqa: E402
from pasopati.plan.roster import Roster  # noqa: E402
from pasopati.plan.runbook import Severity  # noqa: E402

DATA = ROOT / "tests" / "data" / "classification"
ALERT_FIELDS = ("title", "text", "source", "url", "platform", "reach", "engagement", "published_at", "unit")
TARGETS = {"category": 0.95, "severity": 0.90, "unit": 0.95}
FALSE_START_TARGET = 0.10
Pair = tuple[dict[str, Any], Classification]


def load_part(folder: Path, part: str) -> list[dict[str, Any]]:
    path = folder / f"{part}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def directory(roster: Roster) -> UnitDirectory:
    """The gazetteer of every UPT (runbooks/gazetteer/), as intake uses it."""
    from pasopati.plan.gazetteer import default_gazetteer

    return default_gazetteer()


def same_unit(label: str, got: str | None) -> bool:
    """The labelled id and the classifier's, spelled alike: ids compare without hyphens ("palangka-raya"
    = "palangkaraya", a labeller's spelling), and a gazetteer id that only adds the class to tell two
    units of one town apart ("lapas-tangerang-kelas-i") matches a label written without it."""
    if got is None:
        return False
    bare = lambda unit_id: unit_id.replace("-", "")  # noqa: E731
    return bare(label) == bare(got) or bare(got.split("-kelas-")[0]) == bare(label)


def same_kanwil(label: str, got: str | None) -> bool:
    """The same office: ``kanwil-papua-tengah`` (a province the gazetteer finds served by Kanwil Papua)
    is ``kanwil-papua``."""
    from pasopati.plan.gazetteer import default_gazetteer

    if got is None:
        return False
    office = default_gazetteer().kanwil
    return label == got or (office(label) is not None and office(label) == office(got))


def rate(hits: int, n: int) -> str:
    return f"{hits}/{n} = {100 * hits / n:5.1f} %" if n else "n = 0"


def verdict(value: float, target: float, at_most: bool = False) -> str:
    ok = value <= target if at_most else value >= target
    return f"(target {'≤' if at_most else '≥'} {100 * target:g} %: {'ok' if ok else 'BELOW' if not at_most else 'OVER'})"


def severity_ok(label: dict[str, Any], result: Classification) -> bool:
    if result.severity is None:
        return False
    low = Severity(label["min_severity"]).rank
    return low <= Severity(result.severity).rank <= low + 1


def macro_f1(pairs: list[tuple[str | None, str | None]], labels: list[str]) -> float:
    f1s = []
    for label in labels:
        tp = sum(1 for e, p in pairs if e == label == p)
        fp = sum(1 for e, p in pairs if e != label == p)
        fn = sum(1 for e, p in pairs if e == label != p)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s)


def misses(item: dict[str, Any], result: Classification) -> list[str]:
    label = item["label"]
    wrong = []
    if label.get("category") and label["category"] != result.category:
        wrong.append(f"category {label['category']} ≠ {result.category}")
    if label.get("min_severity") and not severity_ok(label, result):
        wrong.append(f"severity {label['min_severity']}(+1) ≠ {result.severity}")
    if label.get("unit") and not same_unit(label["unit"], result.unit):
        wrong.append(f"unit {label['unit']} ≠ {result.unit}")
    if label.get("kanwil") and not same_kanwil(label["kanwil"], result.kanwil):
        wrong.append(f"kanwil {label['kanwil']} ≠ {result.kanwil}")
    if (label["action"] == "start") != (result.action == "start"):
        wrong.append(f"action {label['action']} ≠ {result.action}")
    return wrong


def report(pairs: list[Pair], rules: Rules, *, units: bool = True) -> None:
    categories = list(rules.categories)
    with_cat = [(i["label"]["category"], r.category) for i, r in pairs if i["label"].get("category")]
    cat_ok = sum(e == p for e, p in with_cat)
    with_sev = [(i, r) for i, r in pairs if i["label"].get("min_severity")]
    sev_ok = sum(severity_ok(i["label"], r) for i, r in with_sev)
    with_unit = [(i, r) for i, r in pairs if i["label"].get("unit")]
    unit_ok = sum(same_unit(i["label"]["unit"], r.unit) for i, r in with_unit)
    with_kanwil = [(i, r) for i, r in pairs if i["label"].get("kanwil")]
    kanwil_ok = sum(same_kanwil(i["label"]["kanwil"], r.kanwil) for i, r in with_kanwil)
    quiet = [(i, r) for i, r in pairs if i["label"]["action"] in ("ignore", "watch")]
    false_starts = sum(r.action == "start" for _, r in quiet)
    starts = [(i, r) for i, r in pairs if i["label"]["action"] == "start"]
    missed = sum(r.action != "start" for _, r in starts)
    share = lambda k, n: k / n if n else 0.0  # noqa: E731
    print(f"n = {len(pairs)}")
    print(f"category accuracy   {rate(cat_ok, len(with_cat))}  {verdict(share(cat_ok, len(with_cat)), TARGETS['category'])}")
    print(f"category macro-F1   {macro_f1(with_cat, categories):.3f}")
    print(f"severity in [min, min+1]  {rate(sev_ok, len(with_sev))}  {verdict(share(sev_ok, len(with_sev)), TARGETS['severity'])}")
    if units:
        print(f"unit accuracy       {rate(unit_ok, len(with_unit))}  {verdict(share(unit_ok, len(with_unit)), TARGETS['unit'])}")
        print(f"kanwil accuracy     {rate(kanwil_ok, len(with_kanwil))}")
    print(f"false starts (ignore/watch → start)  {rate(false_starts, len(quiet))}"
          f"  {verdict(share(false_starts, len(quiet)), FALSE_START_TARGET, at_most=True)}")
    print(f"missed starts (start → watch/ignore) {rate(missed, len(starts))}")


def show_errors(pairs: list[Pair]) -> None:
    print("\nItems missing a label:")
    count = 0
    for item, result in pairs:
        wrong = misses(item, result)
        if not wrong:
            continue
        count += 1
        print(f"- {item.get('id', '?')} {(item.get('title') or item['text'])[:100]}")
        print(f"    {'; '.join(wrong)}   (got {result.action}, {result.category}, {result.severity}, {result.unit}, {result.kanwil})")
        if item["label"].get("why"):
            print(f"    label: {item['label']['why']}")
        print("    " + "\n    ".join(result.reasons))
    print(f"  ({count} of {len(pairs)} items miss at least one label)")


def timing(rules: Rules, roster: Roster, unit_directory: UnitDirectory | None, pairs: list[Pair]) -> None:
    """Time classify() on (a) a ~600-char lede, (b) 50 000 chars of random words, (c) 50 000 chars of
    real-looking text (the part's texts repeated); each the best and worst of 3 runs with fresh
    rules (an empty stem cache: the first call is the hostile case)."""
    lede = ""
    for item, _ in pairs:  # a ~600-char lede: the part's first texts, joined
        if len(lede) >= 600:
            break
        lede += item["text"] + " "
    lede = lede[:600]
    rnd = random.Random(7)
    words = []
    while sum(len(w) + 1 for w in words) < MAX_ALERT_TEXT - 20:
        words.append("".join(rnd.choice(string.ascii_lowercase) for _ in range(rnd.randint(3, 14))))
    random_text = " ".join(words)[: MAX_ALERT_TEXT]
    real = " ".join(i["text"] for i, _ in pairs)
    real_text = (real * (MAX_ALERT_TEXT // max(len(real), 1) + 1))[: MAX_ALERT_TEXT]
    print("\nTiming (classify(); fresh rules = cold stem cache, then warm):")
    for name, text in (("(a) lede", lede), ("(b) 50 000 random", random_text), ("(c) 50 000 real", real_text)):
        cold, warm = [], []
        for _ in range(3):
            fresh = load_rules()
            alert = Alert(title="Lapas Cipinang", text=text, platform="news")
            started = time.perf_counter()
            classify(alert, fresh, roster, directory=unit_directory)
            cold.append(time.perf_counter() - started)
            started = time.perf_counter()
            classify(alert, fresh, roster, directory=unit_directory)
            warm.append(time.perf_counter() - started)
        print(f"  {name:<20} {len(text):6d} chars  cold {1000 * min(cold):7.1f}–{1000 * max(cold):7.1f} ms"
              f"   warm {1000 * min(warm):7.1f}–{1000 * max(warm):7.1f} ms")


def second_analyst(items: list[dict[str, Any]], path: Path, rules: Rules) -> None:
    """The same measures for a person: their labels (action, category, minimum severity; no unit)
    read as a classification, so "severity within [min, min+1]" asks whether their minimum falls in
    the part's accepted range. Figures near the targets mean the targets are what two analysts
    following the same rules agree on."""
    theirs = {o["id"]: o for o in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if o}
    missing = [i["id"] for i in items if i["id"] not in theirs]
    if missing:
        sys.exit(f"{path}: no label for {len(missing)} items ({', '.join(missing[:5])} …)")
    pairs = [(i, Classification(relevant=theirs[i["id"]]["action"] != "ignore", action=theirs[i["id"]]["action"],
                                category=theirs[i["id"]]["category"], severity=theirs[i["id"]]["min_severity"])) for i in items]
    print(f"second analyst {path} against the part's labels")
    report(pairs, rules, units=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["dev", "dev2", "dev3", "dev4", "dev5", "heldout"], default="heldout")
    parser.add_argument("--data-dir", type=Path, default=DATA, help="folder of the parts (default tests/data/classification)")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--timing", action="store_true")
    parser.add_argument("--second-analyst", type=Path, metavar="FILE",
                        help="score a second analyst's blind labels of the part (JSON lines: id, action, category, min_severity)"
                             " against its labels, instead of the classifier: how far two people agree")
    args = parser.parse_args()
    rules = load_rules()
    roster = Roster.model_validate(yaml.safe_load((ROOT / "runbooks" / "roster.yaml").read_text(encoding="utf-8")))
    unit_directory = directory(roster)
    items = load_part(args.data_dir, args.part)
    if args.second_analyst:
        second_analyst(items, args.second_analyst, rules)
        return
    print(f"part {args.part}: {args.data_dir / (args.part + '.jsonl')}  (units: gazetteer)")
    pairs = []
    for item in items:
        alert = Alert.model_validate({k: item[k] for k in ALERT_FIELDS if item.get(k) is not None})
        pairs.append((item, classify(alert, rules, roster, directory=unit_directory)))
    report(pairs, rules)
    if args.show_errors:
        show_errors(pairs)
    if args.timing:
        timing(rules, roster, unit_directory, pairs)


if __name__ == "__main__":
    main()
