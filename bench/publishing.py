"""Publishing fan-out: one approved luar-biasa press release on all six channels at once, against the
slowest channel alone, and a WhatsApp list of 1 000 recipients within the Cloud API's rate (issue 11).

What runs (all on loopback, started and stopped by this script):
- a real WordPress (``scripts/wordpress.sh``: Debian's package, PHP's built-in server, MariaDB) for
  the website, and real HTTP servers speaking X API v2, the Graph API (Facebook Page), the Bot API
  (Telegram) and the WhatsApp Cloud API (``tests/fakes``), each answering after ``--latency`` seconds
  (a remote's round trip), plus a real SMTP server (aiosmtpd) answering each message after the same
  delay;
- a Prefect server as ``pasopati up`` starts it, on SQLite (the embedded default) and on PostgreSQL,
  and a fresh PASOPATI store; the per-channel global concurrency limits as ``pasopati serve`` creates them;
- the production path: a Prefect flow calling ``tasks.publishing.publish_all`` (one task per
  channel; the short posts after the website so that they link its address), the sender's write-ahead, receipts.

Legs, each ``--repeat`` times on fresh incidents (medians printed):
1. every channel alone (a release to that channel only); the slowest is the reference;
2. fan-out: the release to all six channels;
3. bare Prefect, same flow shape: six tasks that only sleep as long as each channel took alone,
   against one such task for the slowest — what Prefect's own fan-out costs, measured here;
4. WhatsApp to ``--whatsapp`` recipients at the configured 80 messages/s: elapsed time, messages per
   second, the busiest one-second window at the receiver, and every number reached exactly once.

The goal for leg 2 is at most 1.3 × the slowest channel alone. Figures, not assertions.

    .venv/bin/python bench/publishing.py [--repeat 5] [--latency 0.25] [--journalists 40]
        [--whatsapp 1000] [--whatsapp-latency 0.05] [--prefect sqlite,postgres] [--store sqlite|postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WEBSITE, X, FACEBOOK, TELEGRAM, WHATSAPP, EMAIL = (
    "situs-ditjenpas", "medsos-ditjenpas", "akun-kanwil", "media-center", "posko-keluarga", "siaran-pers")
SIX = [WEBSITE, X, FACEBOOK, TELEGRAM, WHATSAPP, EMAIL]
SECRETS = {"x": "bench-x", "facebook": "bench-fb", "telegram": "bench-tg", "whatsapp": "bench-wa", "wordpress": "bench-wp"}


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+62812{start + i:07d}" for i in range(count)]


@contextmanager
def wordpress(state: Path) -> Iterator[dict[str, Any]]:
    """A clean local WordPress for the run (scripts/wordpress.sh), stopped afterwards."""
    out = state / "site.json"
    # Its own database: a test session's WordPress (pasopati_wp) reinstalls its own at start.
    env = {**os.environ, "WORDPRESS_STATE": str(state / "wordpress"), "WORDPRESS_DB": "pasopati_bench_wp"}
    subprocess.run(["bash", str(ROOT / "scripts" / "wordpress.sh"), str(out)], check=True, capture_output=True, env=env, timeout=900)
    try:
        yield json.loads(out.read_text())
    finally:
        subprocess.run(["bash", str(ROOT / "scripts" / "wordpress.sh"), "stop"], check=False, capture_output=True, env=env, timeout=60)


def _serve_receivers(latency: float, conn: Any) -> None:
    """The child process: the API servers and the SMTP server, answering the parent's commands
    over ``conn`` — in their own process so that they do not share the publisher's interpreter
    (GIL) as real remotes would not."""
    from tests.fakes.facebook import FakeFacebookPage
    from tests.fakes.telegram import FakeTelegram
    from tests.fakes.whatsapp import FakeWhatsApp
    from tests.fakes.x import FakeX
    from tests.smtp_server import Fault, SMTPServer, running

    x, facebook = FakeX(), FakeFacebookPage()
    telegram, whatsapp = FakeTelegram("123456:bench"), FakeWhatsApp("bench-wa-token")
    for api in (x, facebook, telegram, whatsapp):
        api.latency = latency
    with running(SMTPServer()) as smtp:
        smtp.inject(Fault("data", delay=latency, times=None))  # every message answered after the round trip
        conn.send({"x": {"url": x.url, "user_id": x.user_id, "token": x.token},
                   "facebook": {"url": facebook.url, "page_id": facebook.page_id, "token": facebook.token},
                   "telegram": {"url": telegram.url}, "whatsapp": {"url": whatsapp.url, "phone_number_id": whatsapp.phone_number_id},
                   "smtp": {"port": smtp.port}})
        while True:
            command, *rest = conn.recv()
            if command == "whatsapp_latency":
                whatsapp.latency = rest[0]
                conn.send(None)
            elif command == "whatsapp_posts":
                conn.send([p["to"] for p in whatsapp.posts])
            elif command == "whatsapp_calls":
                conn.send([(c.at, c.json().get("to")) for c in whatsapp.calls("POST", "/messages")])
            else:
                break
    for api in (x, facebook, telegram, whatsapp):
        api.stop()


class Receivers:
    """The running receivers: addresses (``info``) and what the WhatsApp server received."""

    def __init__(self, site: dict[str, Any], info: dict[str, Any], conn: Any):
        self.site, self.info, self.conn = site, info, conn

    def __getitem__(self, name: str) -> dict[str, Any]:
        return self.site if name == "site" else dict(self.info[name])

    def whatsapp_latency(self, seconds: float) -> None:
        self.conn.send(("whatsapp_latency", seconds))
        self.conn.recv()

    def whatsapp_posts(self) -> list[str]:
        """The recipient (digits) of every message the WhatsApp server accepted."""
        self.conn.send(("whatsapp_posts",))
        return list(self.conn.recv())

    def whatsapp_calls(self) -> list[tuple[float, str]]:
        """(receipt time, recipient digits) of every message request."""
        self.conn.send(("whatsapp_calls",))
        return list(self.conn.recv())


@contextmanager
def receivers(args: argparse.Namespace, state: Path) -> Iterator[Receivers]:
    import multiprocessing

    with wordpress(state) as site:
        parent, child = multiprocessing.get_context("fork").Pipe()
        process = multiprocessing.get_context("fork").Process(target=_serve_receivers, args=(args.latency, child), daemon=True)
        process.start()
        try:
            info = parent.recv()
            os.environ.update({
                "PASOPATI_SECRET_BENCH_X": info["x"]["token"], "PASOPATI_SECRET_BENCH_FB": info["facebook"]["token"],
                "PASOPATI_SECRET_BENCH_TG": "123456:bench", "PASOPATI_SECRET_BENCH_WA": "bench-wa-token",
                "PASOPATI_SECRET_BENCH_WP": site["password"],
            })
            yield Receivers(site, info, parent)
        finally:
            parent.send(("stop",))
            process.join(10)
            if process.is_alive():
                process.kill()


def channels_yaml(r: Receivers, args: argparse.Namespace, whatsapp_list: list[str]) -> dict[str, Any]:
    """The project's channels.yaml with the six channels on the local receivers."""
    import yaml

    config = yaml.safe_load((ROOT / "runbooks" / "channels.yaml").read_text())
    c = config["channels"]
    c[WEBSITE] |= {"adapter": "wordpress", "base_url": r["site"]["url"], "username": r["site"]["user"],
                   "password_secret": SECRETS["wordpress"], "timeout_seconds": 30}
    c[X] |= {"adapter": "x", "api_base": r["x"]["url"], "user_id": r["x"]["user_id"], "token_secret": SECRETS["x"]}
    c[FACEBOOK] |= {"adapter": "facebook", "graph_base": f"{r['facebook']['url']}/v21.0", "page_id": r["facebook"]["page_id"],
                    "token_secret": SECRETS["facebook"]}
    c[TELEGRAM] |= {"adapter": "telegram", "api_base": r["telegram"]["url"], "chat_id": "@ditjenpas_info", "token_secret": SECRETS["telegram"]}
    c[WHATSAPP] |= {"adapter": "whatsapp", "graph_base": f"{r['whatsapp']['url']}/v21.0", "phone_number_id": r["whatsapp"]["phone_number_id"],
                    "token_secret": SECRETS["whatsapp"], "recipients": whatsapp_list}
    c[EMAIL] |= {"adapter": "email", "host": "127.0.0.1", "port": r["smtp"]["port"], "security": "none",
                 "sender": "humas@ditjenpas.go.id", "recipients": [f"redaksi{i}@media{i}.example" for i in range(args.journalists)]}
    return dict(config)


class Publisher:
    """Approved releases published by the production flow path, timed."""

    def __init__(self) -> None:
        from pasopati.db import get_database
        from pasopati.plan.catalog import catalog
        from tests.people import Authenticators

        self.db, self.cat = get_database(), catalog()
        self.auth = Authenticators(self.db)

    def approved(self, channels: list[str]) -> tuple[Any, Any]:
        from pasopati.decisions.gates import GATE_FULL
        from pasopati.decisions.models import Verdict
        from pasopati.plan.runbook import MessageType, Severity
        from tests.people import decide
        from tests.test_publishing_channels import RELEASE
        from tests.test_store import authority, opened, stored_draft

        incident = opened(self.db, self.cat, "keamanan-ketertiban", Severity.LUAR_BIASA, summary="Gangguan keamanan di Lapas Cipinang")
        draft = stored_draft(self.db, incident, body=RELEASE, id=f"{incident.id}-luar-biasa-press_release-id",
                             message_type=MessageType.PRESS_RELEASE, channels=channels)
        plan = self.cat.plan(incident.category, incident.severity)
        for name in authority(self.cat, incident)[:plan.plan.approval.approvers_required]:
            decision = decide(self.db, self.auth, incident, plan, GATE_FULL, [draft], Verdict.APPROVE, name)
            assert decision.accepted, decision.refusal
        return incident, draft

    def publish(self, channels: list[str]) -> tuple[float, list[Any]]:
        """Seconds from the flow's first task submission to every publication settled, and the publications."""
        incident, draft = self.approved(channels)
        seconds, published = publish_flow(incident, [draft])
        bad = [(p.channel, p.status.value, p.error) for p in published if p.status.value != "sent"]
        if bad:
            raise SystemExit(f"not everything was published: {bad}")
        return seconds, published


def _publish_flow(incident: Any, drafts: list[Any]) -> tuple[float, list[Any]]:
    from tasks.publishing import publish_all

    started = time.perf_counter()
    published = publish_all(incident, drafts)
    return time.perf_counter() - started, published


def _bare_flow(seconds: list[float]) -> float:
    from prefect.futures import wait

    started = time.perf_counter()
    wait([_sleep.submit(s) for s in seconds])
    return time.perf_counter() - started


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


publish_flow: Any = None
bare_flow: Any = None


def median(values: list[float]) -> float:
    return statistics.median(values)


def busiest_second(times: list[float]) -> int:
    """The most requests in any one-second window (sliding), at the receiver."""
    times, most, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


@contextmanager
def prefect_server(kind: str, state: Path) -> Iterator[str]:
    """A Prefect server as `pasopati up` starts it (pasopati.launcher.start_server) on SQLite (the
    embedded default) or on a fresh PostgreSQL database (127.0.0.1:5432, dropped afterwards)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from bench.waiting_runs import Databases, output_to, stop_process_tree
    from pasopati.launcher import start_server
    from pasopati.settings import Settings
    from tests.conftest import free_port

    home = state / f"prefect-{kind}"
    home.mkdir()
    env = {"PREFECT_HOME": str(home), "PREFECT_SERVER_LOG_RETRYABLE_ERRORS": "true"}
    dbs = Databases() if kind == "postgres" else None
    if dbs is not None:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{dbs.create('prefect')}"
    settings = Settings(port=free_port())
    server = None
    try:
        with output_to(state / f"server-{kind}.log"):
            server = start_server(settings, timeout_seconds=120, env_overrides=env)
        with temporary_settings({PREFECT_API_URL: settings.api_url}):
            yield settings.api_url
    finally:
        stop_process_tree(server, own_group=False)
        if dbs is not None:
            dbs.drop_all()


def fan_out_leg(args: argparse.Namespace, kind: str) -> None:
    """Legs 1–3 on one Prefect server: every channel alone, all six at once, bare Prefect."""
    from flows.deployments import channel_limits
    from pasopati.plan.catalog import catalog

    channel_limits()
    publisher = Publisher()
    publisher.publish([WEBSITE])  # warm-up: imports, the first WordPress request, the server's first writes
    alone: dict[str, list[float]] = {c: [] for c in SIX}
    fan_out: list[float] = []
    for _ in range(args.repeat):
        for channel in SIX:
            alone[channel].append(publisher.publish([channel])[0])
        fan_out.append(publisher.publish(SIX)[0])
    medians = {c: median(v) for c, v in alone.items()}
    slowest = max(medians, key=medians.__getitem__)
    bare_all = [bare_flow(list(medians.values())) for _ in range(args.repeat)]
    bare_one = [bare_flow([medians[slowest]]) for _ in range(args.repeat)]
    short = max(medians[c] for c in (X, FACEBOOK, TELEGRAM, WHATSAPP))
    print(f"Prefect server on {kind}, PASOPATI store on {args.store}: {args.repeat} repeats, remote latency {args.latency:g} s, e-mail to {args.journalists},"
          f" WhatsApp to {args.whatsapp_list} (rate 80/s), WordPress local (php -S)")
    for channel in SIX:
        adapter = catalog().channels.channels[channel].adapter
        print(f"  {channel:<18} {adapter:<10} alone  median {medians[channel]:6.2f} s  (min {min(alone[channel]):.2f},"
              f" max {max(alone[channel]):.2f})")
    print(f"  all six at once                    median {median(fan_out):6.2f} s  (min {min(fan_out):.2f}, max {max(fan_out):.2f})")
    print(f"  ratio fan-out / slowest alone ({slowest}): {median(fan_out) / medians[slowest]:.2f}  (goal ≤ 1.3)")
    print(f"  bare Prefect, same shape: six sleeping tasks {median(bare_all):.2f} s vs the slowest alone {median(bare_one):.2f} s"
          f" → {median(bare_all) / median(bare_one):.2f}")
    print(f"  the short posts wait for the website's address: website alone {medians[WEBSITE]:.2f} s + slowest short post"
          f" {short:.2f} s = {medians[WEBSITE] + short:.2f} s (e-mail goes with the website)")


def whatsapp_leg(args: argparse.Namespace, r: Receivers, state: Path) -> None:
    """Leg 4: a long WhatsApp list at the configured rate, counted at the receiver."""
    import yaml

    from pasopati.plan.catalog import catalog

    r.whatsapp_latency(args.whatsapp_latency)
    big = numbers(args.whatsapp, start=5_000_000)
    config = channels_yaml(r, args, big)
    (state / "channels.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    catalog.cache_clear()
    before = len(r.whatsapp_calls())
    seconds, published = Publisher().publish([WHATSAPP])
    calls = r.whatsapp_calls()[before:]
    wanted = {n.lstrip("+") for n in big}
    reached = [to for to in r.whatsapp_posts() if to in wanted]
    spread = calls[-1][0] - calls[0][0] if len(calls) > 1 else 0.0
    rate = catalog().channels.channels[WHATSAPP].rate_per_second
    print(f"WhatsApp list: {len(big)} recipients, rate limit {rate:g}/s, remote latency {args.whatsapp_latency:g} s")
    print(f"  published in {seconds:.1f} s; {len(calls)} requests over {spread:.1f} s = {len(calls) / max(spread, 1e-9):.1f}/s;"
          f" busiest one-second window at the receiver: {busiest_second([at for at, _ in calls])} requests")
    print(f"  numbers reached {len(set(reached))}/{len(big)}, duplicates {len(reached) - len(set(reached))},"
          f" deliveries sent {sum(p.deliveries_sent for p in published)}/{sum(p.deliveries_total for p in published)}")
    print(f"  the limit's floor: {len(big)} / {rate:g} = {len(big) / rate:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.25, help="seconds each remote takes to answer (round trip)")
    parser.add_argument("--journalists", type=int, default=40, help="e-mail recipients of the release")
    parser.add_argument("--whatsapp-list", type=int, default=20, help="WhatsApp recipients in the fan-out legs")
    parser.add_argument("--whatsapp", type=int, default=1000, help="WhatsApp recipients in the rate leg")
    parser.add_argument("--whatsapp-latency", type=float, default=0.05)
    parser.add_argument("--prefect", default="sqlite,postgres", help="Prefect server databases to run the fan-out legs on")
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite", help="the PASOPATI store's database")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.prefect.split(",") if k.strip()]
    if len(kinds) > 1:
        # One process per server: Prefect's client services (the concurrency-slot service among them)
        # are process-wide and keep the first server's address.
        for i, kind in enumerate(kinds):
            options = {**vars(args), "prefect": kind, "whatsapp": args.whatsapp if i == 0 else 0}
            argv = [f"--{name.replace('_', '-')}={value}" for name, value in options.items()]
            subprocess.run([sys.executable, __file__, *argv], check=True)
        return

    state = Path(tempfile.mkdtemp(prefix="bench-publishing-"))
    os.environ.update({"PASOPATI_DATA_DIR": str(state), "PASOPATI_TOTP_STEP_SECONDS": "2",
                       "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
                       "PASOPATI_CHANNELS_FILE": str(state / "channels.yaml")})
    from cryptography.fernet import Fernet

    os.environ.setdefault("PASOPATI_CREDENTIAL_KEY", Fernet.generate_key().decode())
    import yaml
    from prefect import flow, task

    global publish_flow, bare_flow
    publish_flow = flow(name="bench-publikasi")(_publish_flow)
    bare_flow = flow(name="bench-prefect-polos")(_bare_flow)
    globals()["_sleep"] = task(name="tunggu")(_sleep)

    from pasopati.db import Database
    from pasopati.db.schema import upgrade
    from pasopati.plan.catalog import catalog
    from pasopati.settings import get_settings

    store_dbs = None
    if args.store == "postgres":
        from bench.waiting_runs import Databases

        store_dbs = Databases()
        os.environ["PASOPATI_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{store_dbs.create('store')}"
    with receivers(args, state) as r:
        (state / "channels.yaml").write_text(yaml.safe_dump(channels_yaml(r, args, numbers(args.whatsapp_list)), allow_unicode=True))
        get_settings.cache_clear()
        catalog.cache_clear()
        store = Database(get_settings().database)
        upgrade(store)
        store.dispose()
        with prefect_server(kinds[0], state):
            fan_out_leg(args, kinds[0])
            if args.whatsapp:
                whatsapp_leg(args, r, state)
    if store_dbs is not None:
        store_dbs.drop_all()
    print(f"(logs and the store: {state})")


if __name__ == "__main__":
    main()
