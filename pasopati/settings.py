"""All configuration in one place: ``PASOPATI_*`` environment variables (or a ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PASOPATI_", env_file=".env", extra="ignore")

    data_dir: Path = Field(PROJECT_ROOT / ".pasopati", description="Local state: SQLite store, outbox.")
    database_url: str = Field(
        "", description="SQLAlchemy URL (postgresql+psycopg://user@host/db); empty means SQLite under data_dir."
    )
    # `pasopati up` migrates the embedded SQLite store itself; a PostgreSQL store only when this is
    # true (a shared database is usually migrated by its operator: `pasopati db upgrade`).
    auto_migrate: bool = False
    runbooks_dir: Path = PROJECT_ROOT / "runbooks"
    templates_dir: Path = PROJECT_ROOT / "templates"
    channels_file: Path = Field(
        PROJECT_ROOT / "runbooks" / "channels.yaml",
        description="Which adapter carries each logical channel (deployment config, not runbook content).",
    )
    outbox_dir: Path | None = Field(None, description="Where the outbox channel writes; default data_dir/outbox.")

    host: str = "127.0.0.1"
    port: int = 4200
    # Served runs are picked up this often; 0.25 s keeps trigger → flow code near 2 s (PREFECT_NOTES).
    serve_query_seconds: float = 0.25
    serve_limit: int = 20
    # Fork served runs from a preloaded process instead of spawning a fresh interpreter (pasopati.warm).
    warm_starts: bool = True
    # Waiting for people never holds a process, but a forgotten gate must not wait forever either.
    input_timeout_seconds: int = 7 * 24 * 3600
    # Deadlines escalate and reminders go out when the watcher runs (pasopati.watch).
    watch_seconds: float = Field(60, gt=0)
    # Publishing (pasopati.publications.sending): a channel that is unavailable is tried again with
    # exponential backoff and jitter from publish_retry_seconds up to publish_backoff_max_seconds,
    # at most publish_attempts times; a Retry-After up to publish_retry_after_max_seconds is waited
    # for (longer: the delivery fails now and `pasopati publish retry` sends it later).
    publish_retry_seconds: float = Field(2, ge=0)
    publish_backoff_max_seconds: float = Field(60, ge=0)
    publish_attempts: int = Field(4, ge=1, le=20)
    publish_retry_after_max_seconds: float = Field(300, ge=0)
    # After an attempt of unknown outcome, wait this long before looking the post up (a remote that
    # is still storing it must finish first); 0 = the channel's own timeout.
    publish_lookup_delay_seconds: float = Field(0, ge=0)
    # A write-ahead record of a process on another host counts as abandoned after this long.
    publish_lease_seconds: float = Field(900, gt=0)
    # Deliveries of one publication sent at once (a list channel: e-mail, WhatsApp).
    publish_parallel: int = Field(16, ge=1, le=256)

    # RFC 6238 time step X of TOTP codes (pasopati.identity.codes). Keep 30: authenticator apps
    # assume it; the end-to-end tests shorten it so one person can act several times a minute.
    totp_step_seconds: int = Field(30, ge=2, le=300)

    # Alert intake (pasopati.intake).
    intake_port: int = 4210
    intake_tokens: dict[str, str] = Field(
        default_factory=dict, description="Source → bearer token, e.g. {\"meltwater\": \"…\"} (JSON)."
    )
    intake_hmac_keys: dict[str, str] = Field(
        default_factory=dict, description="Source → key for signed requests (pasopati.intake.auth)."
    )
    # A signed alert's X-Pasopati-Timestamp may be this far from the intake's clock, either way; its
    # nonce is remembered (durably) this long, so within it a replay is refused (pasopati.intake.auth).
    intake_signature_window_seconds: float = Field(300, gt=0)
    # Larger posts get a 413 before they are read whole; a Meltwater batch of 100 documents is ~200 KB.
    intake_max_body_bytes: int = Field(2_000_000, gt=0)
    # More items than this in one body get a 413 before any is stored (the sender splits the batch):
    # the intake decides one alert at a time, and one request must not hold it for minutes.
    intake_max_batch_items: int = Field(500, gt=0)
    feeds_file: Path = PROJECT_ROOT / "runbooks" / "feeds.yaml"
    feed_poll_minutes: float = Field(5, gt=0)
    start_retry_seconds: float = Field(5, gt=0, description="First wait before a run start that failed is tried again"
                                       " (doubling, jittered; issue 12: Prefect down or 503 under a burst).")
    start_retry_max_seconds: float = Field(120, gt=0, description="Longest wait between two tries of one run start.")
    correlation_window_hours: float = Field(72, description="Alerts attach to an incident active this recently.")
    # Rewrites of one story by different outlets scored 0.15–0.42, different stories ≤ 0.10 (bench/data).
    near_duplicate_similarity: float = Field(0.12, description="Jaccard of text shingles from which it is the same story.")

    # Identity (pasopati.identity.keys): the Fernet key(s) sealing TOTP secrets, comma-separated
    # (the first encrypts). Empty: the Prefect Secret block `pasopati-kunci-kredensial` (the default).
    credential_key: str = Field("", repr=False, description="Fernet key(s) for TOTP secrets; empty: the Prefect block.")

    # Approval page (pasopati.approvals): the base URL the links e-mailed to approvers point at (the
    # intake serves the page; behind a reverse proxy, its https address). Empty: http://<host>:<intake_port>.
    public_url: str = Field("", description="Base URL of approval links (PASOPATI_PUBLIC_URL); empty: http://<host>:<intake_port>.")
    # A link lives until the round's deadline, but at least this long (a deadline may be minutes
    # away or past) and never more than 24 hours; it dies earlier when used or when its round closes.
    approval_link_minutes: int = Field(240, ge=1, le=1440, description="Shortest lifetime of an approval link, in minutes.")

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'pasopati.db'}"

    @property
    def outbox(self) -> Path:
        return self.outbox_dir or self.data_dir / "outbox"

    @property
    def public_base_url(self) -> str:
        """Where approval links point: ``public_url``, else the intake's own address."""
        return (self.public_url.strip() or f"http://{self.host}:{self.intake_port}").rstrip("/")

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
