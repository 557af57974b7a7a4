"""The audit chain at 100 000 events: what it adds to each domain act, and how fast it verifies.

For each database (SQLite file in WAL mode, PostgreSQL on 127.0.0.1:5432) the bench makes two
fresh stores, migrated with ``pasopati.db.schema.upgrade``:

  audit     the code as it is: every act appends its events to the chain (pasopati.audit.service.record)
  baseline  the same acts with ``record`` replaced by a no-op in this process (the module attribute
            and every ``from pasopati.audit.service import record`` name bound in the service modules)

and drives both through the real domain services, one incident at a time, alternating which store
goes first, so background load on the machine hits both alike. Each incident lives through:

  open            incidents.open_for_run             incident.opened + run.started
  facts.report    facts.submit (what the reporter confirms: di_mana, apa and 3 reported facts)
  team.assemble   team.assemble                      team.assembled
  drafts.prepare  drafts.prepare (holding statement) draft.created
  gate.open       decisions.step (a round opens)     gate.opened
  decide          decisions.submit (approve, proven by the approver's single-use link, as the approval
                  page does; the link is issued untimed, as sending it is the round's notification)
                                                     identity.link_redeemed + decision.recorded
  facts.verify    facts.submit (every other checklist item at once)
  fact.correct    facts.submit × --corrections (one changed figure each)
  acknowledge     team.acknowledge                   team.acknowledged
  close           incidents.close                    incident.closed

until the audit store holds --events events. Every act is timed around the service call (one act =
one write transaction). "Added cost" = the act's time with the chain minus without, per act kind and
over all acts (mean, p50, p90), and for the first vs the last tenth of the incidents (does the cost
grow with the chain?). Then ``pasopati.audit.service.verify`` runs over the whole chain --verify-runs
times (events/s, best and median) and, unless --skip-bundle, an ``--all`` bundle is exported
(pasopati.audit.export.write_bundle, JSON timelines) and checked offline with ``verify_bundle``.

Figures, not assertions. Each PostgreSQL database is created fresh and dropped at the end, the
SQLite temp dir removed, also on failure or Ctrl-C. Only 127.0.0.1 is contacted.

    .venv/bin/python bench/audit.py [--events 100000] [--corrections 4] [--verify-runs 3]
        [--skip-sqlite] [--skip-postgres] [--skip-bundle] [--tmp-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_STORE = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
GOAL_ADDED_MS = 2.0

GOAL_VERIFY_PER_S = 50_000
KINDS = ["open", "facts.report", "team.assemble", "drafts.prepare", "gate.open", "decide", "facts.verify", "fact.correct", "acknowledge", "close"]
SERVICES = [
    "pasopati.alerts.service", "pasopati.decisions.service", "pasopati.drafts.service", "pasopati.evaluations.service",
    "pasopati.facts.service", "pasopati.incidents.service", "pasopati.publications.corrections", "pasopati.publications.service",
    "pasopati.team.service",
]
REPORTED = ["kapan", "siapa_terdampak", "tindakan"]  # the reporter's facts (di_mana and apa come with a confirmed trigger)


# ---------------------------------------------------------------------------------------- helpers


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def other_load() -> str:
    """Load average and how many other pytest / bench processes run (the machine is shared)."""
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    busy = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"pytest" in cmd or (b"bench/" in cmd and b"bench/audit.py" not in cmd):
                busy += 1
    return f"load avg {load}" + (f"; other pytest/bench processes: {busy}" if busy else "")


def filesystem(path: Path) -> str:
    """The mount a path is on (fsync cost depends on it: tmpfs makes SQLite commits nearly free)."""
    best, kind, source = "", "?", "?"
    for line in Path("/proc/mounts").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and str(path.resolve()).startswith(parts[1]) and len(parts[1]) >= len(best):
            best, kind, source = parts[1], parts[2], parts[0]
    return f"{kind} ({source} on {best})"


class Databases:
    """Fresh PostgreSQL databases for this bench, all dropped at the end."""

    def __init__(self) -> None:
        import psycopg

        self.conn = psycopg.connect(PG_ADMIN, autocommit=True)
        self.created: list[str] = []

    def create(self, role: str) -> str:
        name = f"pasopati_bench_audit_{role}_{uuid.uuid4().hex[:8]}"
        self.conn.execute(f"CREATE DATABASE {name}")
        self.created.append(name)
        return name

    def drop_all(self) -> None:
        for name in reversed(self.created):
            try:
                self.conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except Exception as exc:  # noqa: BLE001  keep dropping the others
                print(f"could not drop {name}: {exc}", file=sys.stderr)
        self.created.clear()
        self.conn.close()


# ---------------------------------------------------------------------------------------- audit off


class AuditSwitch:
    """Turns ``pasopati.audit.service.record`` into a no-op and back, wherever the services bound it.

    Only in this benchmark process, only for the baseline store's acts: "without audit" is the same
    code path minus the chain append (head read, incident link query, hashing, INSERT, head UPDATE)."""

    def __init__(self) -> None:
        import importlib

        import pasopati.schema_tables  # noqa: F401  every table module
        from pasopati.audit import service as audit

        for name in SERVICES:  # every module that binds ``record`` (grep "audit.service import record")
            importlib.import_module(name)

        self.original = audit.record
        self.modules = [m for name, m in list(sys.modules.items())
                        if name.startswith("pasopati.") and getattr(m, "record", None) is self.original]

        def no_record(*args: Any, **kwargs: Any) -> None:
            return None

        self.noop = no_record

    def set(self, on: bool) -> None:
        target = self.original if on else self.noop
        for module in self.modules:
            module.record = target  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------- workload


@dataclass
class Store:
    label: str  # "audit" | "baseline"
    url: str
    audited: bool
    db: Any = None
    times: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    per_incident: list[dict[str, list[float]]] = field(default_factory=list)  # act times of each incident


@dataclass
class Workload:
    cat: Any
    corrections: int

    def incident(self, store: Store, i: int, switch: AuditSwitch) -> None:
        """One incident's life on ``store``, every act timed around its service call."""
        from pasopati.decisions import service as decisions
        from pasopati.decisions.gates import GATE_HOLDING
        from pasopati.decisions.models import ApprovalAnswer, Verdict
        from pasopati.drafts import service as drafts
        from pasopati.facts import service as facts
        from pasopati.identity import links
        from pasopati.identity.keys import CredentialKey
        from pasopati.identity.prover import Prover
        from pasopati.incidents import service as incidents
        from pasopati.incidents.models import Stage, Trigger
        from pasopati.plan.runbook import MessageType, Severity
        from pasopati.team import service as team

        cat, db = self.cat, store.db
        roster = cat.roster
        category = cat.categories[i % len(cat.categories)]
        unit = roster.units[i % len(roster.units)]
        plan = cat.plan(category, Severity.SEDANG)
        mine: dict[str, list[float]] = {k: [] for k in KINDS}

        def act(kind: str, call: Callable[[], Any]) -> Any:
            t0 = time.perf_counter()
            result = call()
            elapsed = time.perf_counter() - t0
            store.times[kind].append(elapsed)
            mine[kind].append(elapsed)
            return result

        switch.set(store.audited)
        trigger = Trigger(
            unit=unit.id, summary=f"Kericuhan di blok hunian {unit.name}, laporan bench nomor {i}", reported_by="Operator Bench",
            source="cli", reported_facts={item: f"{item} menurut pelapor ({i})" for item in REPORTED},
            new_incident_reason="bench: a separate crisis per report",
        )
        incident = act("open", lambda: incidents.open_for_run(db, plan, trigger, roster, str(uuid.uuid4()), None))
        reported = facts.reported_values(plan, trigger, unit.name)
        act("facts.report", lambda: facts.submit(db, incident, plan, reported, source="pelapor", by="Operator Bench",
                                                 change="laporan-awal", via="bench"))
        crew = act("team.assemble", lambda: team.assemble(db, incident, plan, cat))
        holding = act("drafts.prepare", lambda: drafts.prepare(db, incident, plan, crew, [MessageType.HOLDING_STATEMENT], cat,
                                                               Stage.HOLDING_DRAFTED))
        approver = roster.holders(plan.plan.approval.authority, unit)[0].name
        step = act("gate.open", lambda: decisions.step(db, incident, plan, GATE_HOLDING, holding, roster))
        with db.write() as session:  # untimed: the link goes out with the round's notification
            token = links.issue_link(session, person=approver, incident_id=incident.id, flow_run_id=str(uuid.uuid4()),
                                     pause_key=step.key, text_hash=step.text_hash, expires_at=step.opened_at + timedelta(hours=1))
        answer = ApprovalAnswer(verdict=Verdict.APPROVE, approver=approver, via="bench", round_key=step.key, text_hash=step.text_hash,
                                link_token=token)
        prover = Prover(key=CredentialKey.generate())  # a link alone proves a person at sedang: no TOTP secret is opened
        decision = act("decide", lambda: decisions.submit(db, incident, plan, GATE_HOLDING, holding, answer, roster, prover))
        if not decision.accepted:
            raise RuntimeError(f"bench decision refused: {decision.refusal}")
        rest = {item.id: f"{item.label}: hasil verifikasi ({i})" for item in plan.checklist if item.id not in reported}
        act("facts.verify", lambda: facts.submit(db, incident, plan, rest, source="SDP", by="Petugas Verifikasi",
                                                 change="verifikasi", via="bench"))
        items = sorted(rest)
        for k in range(self.corrections):
            item = items[k % len(items)]
            value, change = {item: f"koreksi ke-{k + 1} ({i})"}, f"koreksi:{k}"
            act("fact.correct", lambda value=value, change=change: facts.submit(
                db, incident, plan, value, source="Polres", by="Petugas Verifikasi", change=change, via="bench"))
        member = next(m.name for m in crew.members if m.name)
        act("acknowledge", lambda: team.acknowledge(db, incident, member, via="cli"))
        closed = act("close", lambda: incidents.close(db, incident.id, by="Operator Bench", reason="bench selesai",
                                                      flow_run_id=incident.flow_run_id))
        if not closed:
            raise RuntimeError(f"incident {incident.id} was not closed")
        store.per_incident.append(mine)


# ---------------------------------------------------------------------------------------- one database


@dataclass
class Result:
    database: str
    events: int
    incidents: int
    acts: int
    with_ms: float
    without_ms: float
    added_mean_ms: float
    added_p50_ms: float
    added_p90_ms: float
    verify_best: float
    verify_median: float
    verify_ok: bool
    bundle: str


def stores_for(kind: str, work: Path, dbs: Databases | None) -> list[Store]:
    if kind == "sqlite":
        return [Store(label, f"sqlite:///{work / f'{label}.db'}", label == "audit") for label in ("audit", "baseline")]
    assert dbs is not None
    return [Store(label, PG_STORE.format(name=dbs.create(label)), label == "audit") for label in ("audit", "baseline")]


def run_database(kind: str, args: argparse.Namespace, work: Path, dbs: Databases | None, cat: Any, switch: AuditSwitch) -> Result:
    from sqlalchemy import func, select, text

    from pasopati.audit import service as audit
    from pasopati.audit.tables import AuditEventRow
    from pasopati.db import Database
    from pasopati.db.schema import upgrade

    stores = stores_for(kind, work, dbs)
    switch.set(True)
    for store in stores:
        store.db = Database(store.url)
        upgrade(store.db)
    audited, baseline = stores
    try:
        if kind == "sqlite":
            with audited.db.read() as session:
                mode = session.execute(text("PRAGMA journal_mode")).scalar()
                sync = session.execute(text("PRAGMA synchronous")).scalar()
            log(f"{kind}: stores {audited.db.describe()} and {baseline.db.describe()} on {filesystem(work)};"
                f" journal_mode={mode}, synchronous={sync} (2 = FULL)")
        else:
            with audited.db.read() as session:
                version = session.execute(text("SHOW server_version")).scalar()
                sync = session.execute(text("SHOW synchronous_commit")).scalar()
            log(f"{kind}: stores {audited.db.describe()} and {baseline.db.describe()}; server {version}, synchronous_commit={sync}")
        log(f"{kind}: {other_load()}")

        work_load = Workload(cat, args.corrections)
        started = time.monotonic()
        next_report = args.events / 10
        i = 0
        events = 0
        while events < args.events:
            pair = (audited, baseline) if i % 2 == 0 else (baseline, audited)
            for store in pair:
                work_load.incident(store, i, switch)
            switch.set(True)
            events = audit.head(audited.db)[0]
            i += 1
            if events >= next_report:
                rate = events / (time.monotonic() - started)
                log(f"{kind}: {i} incidents, {events} events ({rate:.0f} events/s appended, both stores driven); {other_load()}")
                next_report += args.events / 10
        fill_seconds = time.monotonic() - started
        switch.set(True)
        baseline_events = audit.head(baseline.db)[0]
        with audited.db.read() as session:
            by_kind = dict(session.execute(select(AuditEventRow.kind, func.count()).group_by(AuditEventRow.kind)).all())
        log(f"{kind}: filled in {fill_seconds:.0f} s: {i} incidents per store; audit store {events} events, baseline store"
            f" {baseline_events} events (0 = the no-op really replaced record)")
        print(f"  events by kind: {', '.join(f'{k} {n}' for k, n in sorted(by_kind.items()))}")

        acts = print_act_table(kind, audited, baseline, events)
        per_act = added(audited, baseline)

        verify_times = verify_runs(kind, audited.db, args.verify_runs, events)
        bundle = "skipped" if args.skip_bundle else bundle_check(kind, audited.db, work, args.verify_runs)
        all_with = [t for k in KINDS for t in audited.times[k]]
        all_without = [t for k in KINDS for t in baseline.times[k]]
        best = max(verify_times[0]) if verify_times[0] else float("nan")
        return Result(
            database=kind, events=events, incidents=i, acts=acts,
            with_ms=mean(all_with) * 1e3, without_ms=mean(all_without) * 1e3,
            added_mean_ms=per_act[0], added_p50_ms=per_act[1], added_p90_ms=per_act[2],
            verify_best=best, verify_median=statistics.median(verify_times[0]) if verify_times[0] else float("nan"),
            verify_ok=verify_times[1], bundle=bundle,
        )
    finally:
        switch.set(True)
        for store in stores:
            if store.db is not None:
                store.db.dispose()


def print_act_table(kind: str, audited: Store, baseline: Store, events: int) -> int:
    print(f"\n{kind}: ms per domain act, with the audit chain / without (record a no-op) / added")
    print(f"  {'act':<15} {'n':>7}   {'mean':>6} {'p50':>6} {'p90':>6}   {'mean':>6} {'p50':>6} {'p90':>6}   {'+mean':>6} {'+p50':>6} {'+p90':>6}")
    print(f"  {'':<15} {'':>7}   {'--- with audit ---':^20}   {'--- without ---':^20}   {'--- added ---':^20}")
    acts = 0
    rows = [(k, audited.times[k], baseline.times[k]) for k in KINDS]
    rows.append(("all acts", [t for k in KINDS for t in audited.times[k]], [t for k in KINDS for t in baseline.times[k]]))
    for name, w, wo in rows:
        if name != "all acts":
            acts += len(w)
        mw, pw50, pw90 = mean(w) * 1e3, pct(w, 0.5) * 1e3, pct(w, 0.9) * 1e3
        mo, po50, po90 = mean(wo) * 1e3, pct(wo, 0.5) * 1e3, pct(wo, 0.9) * 1e3
        print(f"  {name:<15} {len(w):>7}   {mw:6.2f} {pw50:6.2f} {pw90:6.2f}   {mo:6.2f} {po50:6.2f} {po90:6.2f}"
              f"   {mw - mo:+6.2f} {pw50 - po50:+6.2f} {pw90 - po90:+6.2f}")
    # Does the added cost grow with the chain? First vs last tenth of the incidents, all acts.
    n = len(audited.per_incident)
    tenth = max(1, n // 10)

    def flat(store: Store, part: slice) -> list[float]:
        return [t for inc in store.per_incident[part] for k in KINDS for t in inc[k]]

    first_w, first_wo = flat(audited, slice(0, tenth)), flat(baseline, slice(0, tenth))
    last_w, last_wo = flat(audited, slice(n - tenth, n)), flat(baseline, slice(n - tenth, n))
    print(f"  all acts, first {tenth} incidents: {mean(first_w) * 1e3:.2f} vs {mean(first_wo) * 1e3:.2f} ms"
          f" (added {(mean(first_w) - mean(first_wo)) * 1e3:+.2f}); last {tenth}: {mean(last_w) * 1e3:.2f} vs"
          f" {mean(last_wo) * 1e3:.2f} ms (added {(mean(last_w) - mean(last_wo)) * 1e3:+.2f})")

    def kind_mean(store: Store, part: slice, k: str) -> float:
        return mean([t for inc in store.per_incident[part] for t in inc[k]]) * 1e3

    print(f"  per act, first → last {tenth} incidents (ms, with / without): " + "; ".join(
        f"{k} {kind_mean(audited, slice(0, tenth), k):.2f}→{kind_mean(audited, slice(n - tenth, n), k):.2f}"
        f" / {kind_mean(baseline, slice(0, tenth), k):.2f}→{kind_mean(baseline, slice(n - tenth, n), k):.2f}" for k in KINDS))
    extra = sum(t for k in KINDS for t in audited.times[k]) - sum(t for k in KINDS for t in baseline.times[k])
    print(f"  total time added by the chain: {extra:.1f} s over {acts} acts and {events} events"
          f" = {extra / acts * 1e3:.2f} ms per act, {extra / events * 1e3:.2f} ms per event")
    return acts


def added(audited: Store, baseline: Store) -> tuple[float, float, float]:
    w = [t for k in KINDS for t in audited.times[k]]
    wo = [t for k in KINDS for t in baseline.times[k]]
    return (mean(w) - mean(wo)) * 1e3, (pct(w, 0.5) - pct(wo, 0.5)) * 1e3, (pct(w, 0.9) - pct(wo, 0.9)) * 1e3


def verify_runs(kind: str, db: Any, runs: int, events: int) -> tuple[list[float], bool]:
    from pasopati.audit import service as audit

    rates: list[float] = []
    ok = True
    for n in range(runs):
        t0 = time.perf_counter()
        report = audit.verify(db)
        wall = time.perf_counter() - t0
        rates.append(report.events / wall)
        good = report.problem is None and report.events == events
        ok = ok and good
        log(f"{kind}: verify run {n + 1}: {report.events} events in {wall:.2f} s = {report.events / wall:,.0f} events/s;"
            f" {'ok' if good else f'PROBLEM: {report.problem}'}; {other_load()}")
    return rates, ok


def bundle_check(kind: str, db: Any, work: Path, runs: int) -> str:
    """``pasopati audit export --all`` (JSON timelines) and ``pasopati audit verify --bundle``, in process."""
    from pasopati.audit import service as audit
    from pasopati.audit.anchors import store_id
    from pasopati.audit.export import verify_bundle, write_bundle
    from pasopati.incidents import service as incidents
    from pasopati.settings import get_settings

    settings = get_settings()
    path = work / f"bundle-{kind}.zip"
    t0 = time.perf_counter()
    subjects = [incidents.subject(r.incident) for r in reversed(incidents.search(db))]
    events = audit.events(db)
    read = time.perf_counter() - t0
    manifest = write_bundle(path, events, subjects, fmt="json", full_chain=True, store_id=store_id(db), store_head=audit.head(db),
                            anchors=[], ui_url=settings.ui_url, templates_dir=settings.templates_dir)
    written = time.perf_counter() - t0 - read
    log(f"{kind}: export --all: read {len(events)} events and {len(subjects)} incidents in {read:.1f} s, wrote"
        f" {path.stat().st_size / 1e6:.1f} MB bundle in {written:.1f} s ({manifest['events']['count']} events)")
    rates = []
    ok = True
    for n in range(runs):
        t0 = time.perf_counter()
        check = verify_bundle(path)
        wall = time.perf_counter() - t0
        rates.append(check.events / wall)
        ok = ok and check.ok and check.events == len(events)
        log(f"{kind}: verify_bundle run {n + 1}: {check.events} events of {check.incidents} incidents in {wall:.2f} s ="
            f" {check.events / wall:,.0f} events/s; {'ok' if check.ok else f'PROBLEM: {check.problem}'}")
    path.unlink()
    return f"{max(rates):,.0f} best / {statistics.median(rates):,.0f} median events/s{'' if ok else ' (FAILED)'}"


# ---------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="fill the audit store until its chain holds this many events")
    parser.add_argument("--corrections", type=int, default=4, help="single-figure corrections per incident")
    parser.add_argument("--verify-runs", type=int, default=3, help="times verify (and verify_bundle) run over the full chain")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-bundle", action="store_true", help="skip the --all export and its offline check")
    parser.add_argument("--tmp-dir", type=Path, default=None, help="where the SQLite stores go (default: the system temp dir)")
    args = parser.parse_args()

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="pasopati-bench-audit-", dir=args.tmp_dir))
    from pasopati.plan.catalog import load_catalog

    cat = load_catalog()
    switch = AuditSwitch()
    print(f"code under test: {ROOT} · Python {sys.version.split()[0]} · {os.cpu_count()} cores · {other_load()}")
    print(f"record() no-op'd in {len(switch.modules)} modules for the baseline: {', '.join(sorted(m.__name__ for m in switch.modules))}")
    print(f"work dir {work}; target {args.events} events per audit store; {args.corrections} corrections per incident", flush=True)
    results: list[Result] = []
    dbs: Databases | None = None
    try:
        if not args.skip_sqlite:
            results.append(run_database("sqlite", args, work, None, cat, switch))
        if not args.skip_postgres:
            dbs = Databases()
            results.append(run_database("postgresql", args, work, dbs, cat, switch))
    finally:
        switch.set(True)
        if dbs is not None:
            dbs.drop_all()
        shutil.rmtree(work, ignore_errors=True)
    table(results)
    print(f"\nbench wall time {time.monotonic() - started:.0f} s; {other_load()}")


def table(results: list[Result]) -> None:
    if not results:
        return
    print(f"\nsummary (goals: added ≤ {GOAL_ADDED_MS:g} ms per act, verify ≥ {GOAL_VERIFY_PER_S:,} events/s)")
    print(f"{'database':<11} {'events':>7} {'incid.':>6} {'acts':>6}  {'with':>6} {'without':>7} {'added':>6} {'+p50':>6} {'+p90':>6}"
          f"  {'verify ev/s best':>16} {'median':>9}  goals")
    for r in results:
        added_ok = r.added_mean_ms <= GOAL_ADDED_MS
        verify_ok = r.verify_best >= GOAL_VERIFY_PER_S
        goals = (f"added {'met' if added_ok else 'NOT met'}, verify {'met' if verify_ok else 'NOT met'}"
                 f"{'' if r.verify_ok else ', CHAIN DID NOT VERIFY'}")
        print(f"{r.database:<11} {r.events:>7} {r.incidents:>6} {r.acts:>6}  {r.with_ms:6.2f} {r.without_ms:7.2f} {r.added_mean_ms:+6.2f}"
              f" {r.added_p50_ms:+6.2f} {r.added_p90_ms:+6.2f}  {r.verify_best:>16,.0f} {r.verify_median:>9,.0f}  {goals}")
    for r in results:
        print(f"{r.database}: offline bundle check (verify_bundle on an --all export): {r.bundle}")
    print("(ms per act: mean over every act of the audit store / of the baseline store; +p50/+p90: difference of the percentiles)")


if __name__ == "__main__":
    main()
