"""Where: the alert's unit and Kanwil — the sender's unit field when the directory knows it, a Kanwil-wide
event, the most mentioned UPT, or a Kanwil named alone."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from pasopati.alerts.classify.matcher import CompiledRules
from pasopati.alerts.entities import (
    Entities,
    FacilityMention,
    UnitCheck,
    UnitDirectory,
    kanwil_id,
    normalise,
)
from pasopati.alerts.models import Alert


@dataclass
class Place:
    """Where the alert happened: a unit (and its name as written) with its Kanwil, or a Kanwil alone."""

    unit: str | None = None
    facility: str | None = None
    kanwil: str | None = None
    unconfirmed: bool = False  # the sender's unit field, never named by the text: no runbook on it alone


def unit_check(directory: UnitDirectory) -> UnitCheck:
    """Whether the directory knows a unit of this type, qualifiers and place (a lower-case mention is read
    only then): its ``find``, or its ``by_alias`` of '<type> <qualifiers> <place>'."""

    def known(type_: str, qualifiers: tuple[str, ...], place: str) -> bool:
        if directory.find(type_, place, qualifiers) is not None:
            return True
        return directory.by_alias(" ".join((type_, *qualifiers, place))) is not None

    return known


HASHTAG_UNIT_RE = re.compile(r"#([a-z]+)\b")


def expand_unit_hashtags(comp: CompiledRules, text: str, directory: UnitDirectory) -> str:
    """A lower-case hashtag that spells a unit the directory knows ("#lapasperempuantenggarong") is read as its
    name ("lapas perempuan tenggarong"): a type word, qualifiers, then the place. Other hashtags stay."""
    if "#" not in text:
        return text
    assert comp.recogniser is not None
    ents = comp.rules.entities
    types = sorted(((w.lower(), t) for t, words in ents.type_words.items() for w in words if " " not in w), key=lambda wt: -len(wt[0]))
    quals = [q.lower() for q in ents.qualifiers]
    known = unit_check(directory)

    def spelled(m: re.Match[str]) -> str:
        tag = m.group(1)
        for word, type_ in types:
            if not tag.startswith(word):
                continue
            rest, found = tag[len(word):], []
            while q := next((q for q in quals if rest.startswith(q) and len(rest) > len(q)), None):
                found.append(q)
                rest = rest[len(q):]
            if rest and known(type_, tuple(found), rest):
                return " ".join((word, *found, rest))
        return m.group()

    return HASHTAG_UNIT_RE.sub(spelled, text)


def _denied(comp: CompiledRules, text: str, mention: FacilityMention) -> bool:
    """The text says the event is NOT at this unit: "Bukan Rutan Salemba, …", "bukan dari Rutan Depok"."""
    before = text[max(0, mention.start - 20) : mention.start].lower().split()
    while before and before[-1] in ("dari", "di"):
        before.pop()
    return bool(before) and before[-1] in comp.negators


def locate(
    comp: CompiledRules, alert: Alert, ents: Entities, directory: UnitDirectory, reasons: list[str], title_end: int = 0,
    text: str = "",
) -> Place:
    """The alert's own unit when the directory knows it; else a Kanwil-wide event (a region-wide
    phrase, or several UPTs of one Kanwil); else the most mentioned UPT; else a Kanwil named alone."""
    if alert.unit:
        own = _own_unit(comp, alert.unit, directory)
        if own is not None:
            named_units = {_resolve(f, directory)[0] for f in ents.facilities}
            if own.unit in named_units:
                reasons.append(f"unit dari alert '{alert.unit}' → {own.unit} (juga disebut dalam teks)")
            else:
                own.unconfirmed = True
                others = ", ".join(sorted(u for u in named_units if u)) or "tidak ada UPT"
                reasons.append(f"unit dari alert '{alert.unit}' → {own.unit}, tetapi teks tidak menyebutnya "
                               f"(teks: {others}) → belum terverifikasi")
            return own
        reasons.append(f"unit dari alert '{alert.unit}' tidak dikenal direktori")
    named = [k for k in ents.kanwil if not k.wide]
    # a unit whose Kanwil the directory does not know: the Kanwil named, or the one province named
    region = named[0].kanwil if named else kanwil_id(ents.provinces[0]) if len(ents.provinces) == 1 else None
    resolved = [(f, *_resolve(f, directory)) for f in ents.facilities]
    resolved = [(f, uid, kw or region) for f, uid, kw in resolved if uid]
    denied = [r for r in resolved if text and _denied(comp, text, r[0])]
    if denied and len(denied) < len(resolved):
        reasons.append(f"UPT yang disangkal teks ('bukan {denied[0][0].written}') tidak dihitung")
        resolved = [r for r in resolved if r not in denied]
    wide = next((k for k in ents.kanwil if k.wide), None)
    if wide is not None and wide.start >= title_end and any(f.start < title_end for f, _, _ in resolved):
        # the headline names one UPT and the region-wide phrase is only in the lede ("… se-Banten"): the UPT's story
        reasons.append(f"'{wide.written}' hanya di isi; judul menyebut UPT tertentu")
        wide = None
    elif wide is not None and wide.start < title_end and any(f.start < wide.start for f, _, _ in resolved):
        # the headline names a UPT first; "se-Kalbar" later in it qualifies something else ("Juara Lomba … Se-Kalbar")
        reasons.append(f"'{wide.written}' sesudah UPT yang disebut judul → cerita UPT itu")
        wide = None
    if wide is not None:
        reasons.append(f"seluruh wilayah: '{wide.written}' → {wide.kanwil}")
        return Place(kanwil=wide.kanwil)
    by_kanwil: dict[str, set[str]] = defaultdict(set)
    for _, uid, kw in resolved:
        by_kanwil[kw or ""].add(uid)
    at_least = comp.rules.entities.kanwil_wide_at_least
    in_title = {uid for f, uid, _ in resolved if f.start < title_end}
    for kw, uids in by_kanwil.items():
        if kw and len(uids) >= at_least and len(in_title) == 1:
            reasons.append(f"{len(uids)} UPT satu Kanwil, tetapi judul hanya menyebut {next(iter(in_title))} → cerita UPT itu")
            break
        if kw and len(uids) >= at_least:
            reasons.append(f"{len(uids)} UPT satu Kanwil ({', '.join(sorted(uids))}) ≥ {at_least} → {kw}")
            return Place(kanwil=kw)
    if resolved:
        counts = Counter(uid for _, uid, _ in resolved)
        first = {uid: n for n, (_, uid, _) in reversed(list(enumerate(resolved)))}
        # as often named: a unit the directory knows before a generic id (title "Rutan Singkil", lede
        # "Rutan Kelas IIB Singkel"; "Lapas Karanganyar" and "Lapas Khusus Kelas IIA Karanganyar")
        # then the unit written in its official form (with its class: "Rutan Perempuan Kelas IIA Bandung") over a short one
        with_class = {uid for f, uid, _ in resolved if f.class_}
        uid = max(counts, key=lambda u: (counts[u], directory.unit(u) is not None, u in with_class, -first[u]))
        mention, _, kw = resolved[first[uid]]
        known = "" if directory.unit(uid) else " (belum ada di direktori: id generik)"
        reasons.append(f"unit '{mention.written}' → {uid}{known}" + (f", {kw}" if kw else ""))
        return Place(uid, mention.written, kw)
    if named:
        reasons.append(f"Kanwil '{named[0].written}' → {named[0].kanwil} (tanpa UPT tertentu)")
        return Place(kanwil=named[0].kanwil)
    return Place()


def _own_unit(comp: CompiledRules, written: str, directory: UnitDirectory) -> Place | None:
    entry = directory.by_alias(written)
    if entry is None:
        assert comp.recogniser is not None
        known = lambda place: directory.place_kanwil(place) is not None  # noqa: E731
        for mention in comp.recogniser.facilities(normalise(written), known, unit_check(directory)):
            if mention.place and (entry := directory.find(mention.type, mention.place, mention.qualifiers, mention.class_)):
                break
    return Place(entry.id, written, entry.kanwil) if entry is not None else None


def _resolve(mention: FacilityMention, directory: UnitDirectory) -> tuple[str | None, str | None]:
    """(unit id, Kanwil id) of one mention: the directory's entry, else the generic id."""
    entry = directory.by_alias(mention.written)
    if entry is None and mention.place:
        entry = directory.find(mention.type, mention.place, mention.qualifiers, mention.class_)
    if entry is not None:
        return entry.id, entry.kanwil
    where = directory.place_kanwil(mention.place) if mention.place else None
    return mention.generic_id, where[1] if where else None
