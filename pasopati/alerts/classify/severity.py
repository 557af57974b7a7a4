"""Severity: the category's base raised by its floors (platform, reach, words, near rules, people harmed), then
one step per DOMAIN.md escalation that fires (deaths, national coverage, attention, repeats)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pasopati.alerts.classify.categorise import near_rule_fires
from pasopati.alerts.classify.counts import death_count, harmed_by, people_counts
from pasopati.alerts.classify.matcher import CompiledRules
from pasopati.alerts.classify.schema import CoverageEscalation
from pasopati.alerts.classify.tokens import AnalysedText
from pasopati.alerts.models import Alert
from pasopati.plan.runbook import Severity


def assess_severity(comp: CompiledRules, alert: Alert, text: AnalysedText, cid: str, repeats: int, reasons: list[str]) -> str:
    base = _base_severity(comp, alert, text, cid, reasons)
    steps = _escalations(comp, alert, text, repeats, reasons, cid)
    final = list(Severity)[min(base.rank + steps, Severity.LUAR_BIASA.rank)]
    reasons.append(f"tingkat: dasar {base.value} + {steps} eskalasi → {final.value}")
    return final.value


def _base_severity(comp: CompiledRules, alert: Alert, text: AnalysedText, cid: str, reasons: list[str]) -> Severity:
    rules = comp.rules
    cat = rules.categories[cid]
    base = cat.base
    candidates: list[tuple[Severity, str]] = []
    platform = (alert.platform or "").lower()
    if cat.reported_floor and platform in rules.severity.reported_platforms:
        candidates.append((cat.reported_floor, f"platform '{platform}' (diberitakan media)"))
    viral = rules.severity.viral_floor
    if viral and (alert.reach or 0) >= viral.reach_at_least:
        candidates.append((viral.severity, f"reach {alert.reach} ≥ {viral.reach_at_least} (viral daerah)"))
    for hit in text.hits.get(f"floor:{cid}", ()):
        if hit.start not in text.negated:
            candidates.append((hit.payload, f"'{hit.term}'"))
    for i, rule in enumerate(cat.near):
        if rule.severity and near_rule_fires(text, f"near:{cid}:{i}", rule):
            candidates.append((rule.severity, f"pola '{rule.label}'"))
    for floor in cat.people_floors:
        counted = harmed_by(comp, text, floor.harm) if floor.harm else people_counts(comp, text)
        count = max((n for _, n in counted), default=0)
        if count >= floor.at_least:
            how = f" ({'/'.join(floor.harm[:3])}…)" if floor.harm else ""
            candidates.append((floor.severity, f"{count} orang terdampak{how} ≥ {floor.at_least}"))
    for severity, why in candidates:
        if severity.rank > base.rank:
            base = severity
            reasons.append(f"dasar: {why} → {severity.value}")
    for i, rule in enumerate(cat.near):
        if rule.cap and base.rank > rule.cap.rank and near_rule_fires(text, f"near:{cid}:{i}", rule):
            base = rule.cap
            reasons.append(f"dasar: pola '{rule.label}' → paling tinggi {rule.cap.value}")
    return base


def _escalations(comp: CompiledRules, alert: Alert, text: AnalysedText, repeats: int, reasons: list[str], cid: str | None = None) -> int:
    """One step per DOMAIN.md escalation that fires (deaths may add a second for several victims)."""
    esc = comp.rules.severity.escalations
    steps = 0
    deaths = [h for h in text.hits.get("death", ()) if h.start not in text.negated]
    if deaths:
        steps += 1
        reasons.append(f"{deaths[0].term} → eskalasi +1 ({esc.kematian.label})")
        victims = death_count(comp, text, deaths)
        if esc.kematian.multiple_at_least and victims >= esc.kematian.multiple_at_least:
            steps += 1
            at_least = esc.kematian.multiple_at_least
            reasons.append(f"{victims} korban jiwa ≥ {at_least} → eskalasi +1 ({esc.kematian.multiple_label})")
    rules = comp.rules
    reported = (
        cid is not None
        and rules.categories[cid].reported_floor is not None
        and (alert.platform or "").lower() in rules.severity.reported_platforms
    )
    by_source = esc.cakupan.source_over_reported_floor or not reported
    if not by_source:
        reasons.append("sumber berita sudah dihitung di dasar (platform berita) → domain sumber bukan eskalasi")
    coverage = _coverage_signals(comp, alert, text, by_source)
    if coverage:
        steps += 1
        reasons.append(f"{'; '.join(coverage)} → eskalasi +1 ({esc.cakupan.label})")
    attention = sorted({h.term for h in text.hits.get("attention", ())})
    if attention:
        steps += 1
        reasons.append(f"{', '.join(attention)} → eskalasi +1 ({esc.perhatian.label})")
    said = next((h.term for h in text.hits.get("repeat", ()) if h.start not in text.negated), None)
    if repeats >= esc.berulang.repeats_at_least:
        steps += 1
        reasons.append(f"{repeats} kejadian sebelumnya di unit ini dalam 90 hari → eskalasi +1 ({esc.berulang.label})")
    elif said:
        steps += 1
        reasons.append(f"'{said}' (teks menyebut kejadian berulang) → eskalasi +1 ({esc.berulang.label})")
    return steps


def _coverage_signals(comp: CompiledRules, alert: Alert, text: AnalysedText, by_source: bool = True) -> list[str]:
    cov = comp.rules.severity.escalations.cakupan
    signals: list[str] = []
    source_host = _source_host(alert.source)
    hosts = (("url", _host(str(alert.url)) if alert.url else None), ("sumber", source_host)) if by_source else ()
    for where, host in hosts:
        domain = _national_domain(host, cov) if host else None
        if domain:
            signals.append(f"media nasional {domain} ({where})")
            break
    else:
        # a source written as a name ("Kompas TV"), not a host: match outlet names
        names = comp.analyse(alert.source).hits.get("outlet", ()) if by_source and alert.source and not source_host else ()
        if names:
            signals.append(f"media nasional '{names[0].term}' (sumber)")
    outlets = sorted({h.term for h in text.hits.get("outlet", ())})
    if outlets:
        signals.append(f"media nasional {', '.join(repr(o) for o in outlets)} (teks)")
    trends = sorted({h.term for h in text.hits.get("trend", ())})
    if trends:
        signals.append(", ".join(f"'{t}'" for t in trends))
    if (alert.reach or 0) >= cov.reach_at_least:
        signals.append(f"reach {alert.reach} ≥ {cov.reach_at_least} → viral")
    if (alert.engagement or 0) >= cov.engagement_at_least:
        signals.append(f"engagement {alert.engagement} ≥ {cov.engagement_at_least} → viral")
    return signals


def _host(url: str) -> str | None:
    return (urlsplit(url).hostname or "").lower() or None


def _source_host(source: str | None) -> str | None:
    """A source written as a domain ('kompas.com', 'news.detik.com') is matched like a URL host."""
    if not source or " " in source.strip() or "." not in source:
        return None
    return _host(source if "//" in source else f"//{source.strip()}")


def _national_domain(host: str, cov: CoverageEscalation) -> str | None:
    for domain in cov.national_domains:
        if domain in cov.exact_domains:
            if host in (domain, f"www.{domain}"):
                return domain
        elif host == domain or host.endswith(f".{domain}"):
            return domain
    return None
