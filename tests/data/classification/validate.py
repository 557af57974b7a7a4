"""Check the labelled classification set: every line parses, ids are unique, every label field is valid.

Usage: python tests/data/classification/validate.py [dev.jsonl dev2.jsonl heldout.jsonl ...]
Prints counts per category x action x severity for each file. Exit status 1 on any error.
"""
import collections
import json
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).parent
CATEGORIES = {"keamanan-ketertiban", "kesehatan", "opini-publik", "tata-kelola-integritas", "bencana-alam"}
SEVERITIES = ["ringan", "sedang", "berat", "luar-biasa"]
ACTIONS = {"start", "watch", "ignore"}
PLATFORMS = {"news", "twitter", "tiktok", "instagram", "facebook", "youtube"}
UNIT_RE = re.compile(r"^(lapas|rutan|lpka|bapas|rupbasan)(-[a-z0-9]+)+$")
KANWIL_RE = re.compile(r"^kanwil(-[a-z0-9]+)+$")
ROSTER = {"lapas-cipinang", "rutan-salemba", "rutan-pondok-bambu", "lapas-banyuasin", "lapas-pangkalpinang",
          "lapas-nabire", "lapas-sukamiskin", "lpka-bandung", "lapas-makassar"}
KEYS = {"id", "title", "text", "source", "url", "platform", "reach", "label"}
LABEL_KEYS = {"action", "category", "min_severity", "unit", "kanwil", "why"}


def check(path, seen_ids, errors):
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{n}"
        try:
            o = json.loads(line)
        except ValueError as e:
            errors.append(f"{where}: not JSON ({e})")
            continue
        if set(o) - KEYS or not {"id", "title", "text", "source", "label"} <= set(o):
            errors.append(f"{where}: keys {sorted(o)}")
        if o.get("id") in seen_ids:
            errors.append(f"{where}: duplicate id {o.get('id')}")
        seen_ids.add(o.get("id"))
        for k in ("title", "text", "source"):
            if not isinstance(o.get(k), str) or not o[k].strip():
                errors.append(f"{where}: empty {k}")
        if "url" in o and not str(o["url"]).startswith("https://"):
            errors.append(f"{where}: url {o['url']}")
        plat = o.get("platform", "news")
        if plat not in PLATFORMS:
            errors.append(f"{where}: platform {plat}")
        if plat != "news" and not isinstance(o.get("reach"), int):
            errors.append(f"{where}: social item without integer reach")
        if plat == "news" and "reach" in o:
            errors.append(f"{where}: reach on a news item")
        lab = o.get("label", {})
        if set(lab) != LABEL_KEYS:
            errors.append(f"{where}: label keys {sorted(lab)}")
            continue
        a, c, s, u, k = lab["action"], lab["category"], lab["min_severity"], lab["unit"], lab["kanwil"]
        if a not in ACTIONS:
            errors.append(f"{where}: action {a}")
        if c is not None and c not in CATEGORIES:
            errors.append(f"{where}: category {c}")
        if s is not None and s not in SEVERITIES:
            errors.append(f"{where}: severity {s}")
        if u is not None and not UNIT_RE.match(u):
            errors.append(f"{where}: unit {u}")
        if k is not None and not KANWIL_RE.match(k):
            errors.append(f"{where}: kanwil {k}")
        if a == "start" and (c is None or s is None or (u is None and k is None)):
            errors.append(f"{where}: start needs category, min_severity and a unit or kanwil")
        if a == "watch" and c is None:
            errors.append(f"{where}: watch needs a category")
        if a == "ignore" and (c is not None or s is not None):
            errors.append(f"{where}: ignore carries no category/severity")
        if not lab["why"] or not isinstance(lab["why"], str):
            errors.append(f"{where}: empty why")
        items.append(o)
    return items


def report(name, items):
    print(f"== {name}: {len(items)} items")
    acts = collections.Counter(o["label"]["action"] for o in items)
    print("actions:", dict(sorted(acts.items())))
    table = collections.Counter((o["label"]["category"] or "-", o["label"]["action"], o["label"]["min_severity"] or "-")
                                for o in items)
    print(f"{'category':24} {'action':7} " + " ".join(f"{s:>10}" for s in SEVERITIES + ['-']))
    for cat in sorted(CATEGORIES) + ["-"]:
        for act in ("start", "watch", "ignore"):
            row = [table[(cat, act, s)] for s in SEVERITIES + ["-"]]
            if sum(row):
                print(f"{cat:24} {act:7} " + " ".join(f"{x:>10}" for x in row))
    units = [o["label"]["unit"] for o in items if o["label"]["unit"]]
    in_roster = sum(u in ROSTER for u in units)
    print(f"items with a unit: {len(units)}; in roster: {in_roster}; outside roster: {len(units) - in_roster}"
          f" ({len(set(units))} distinct units, {len(set(u for u in units if u not in ROSTER))} outside roster)")
    types = collections.Counter(u.split("-")[0] for u in units)
    print("unit types:", dict(sorted(types.items())))
    kw_only = sum(1 for o in items if o["label"]["unit"] is None and o["label"]["kanwil"])
    print(f"kanwil-level items (unit null, kanwil set): {kw_only}")
    plats = collections.Counter(o.get("platform", "news") for o in items)
    print("platforms:", dict(sorted(plats.items())))


def main(argv):
    paths = [pathlib.Path(p) for p in argv] or [HERE / "dev.jsonl", HERE / "dev2.jsonl", HERE / "heldout.jsonl"]
    errors, seen = [], set()
    for p in paths:
        if not p.exists():
            print(f"(missing {p.name})")
            continue
        report(p.name, check(p, seen, errors))
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
