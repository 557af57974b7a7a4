"""Who may send alerts: a bearer token or an HMAC-SHA256 signature of the body, per source."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from pasopati.settings import Settings

LOCAL_SOURCE = "manual"
# Sources inside this installation that get a generated token: operators' manual reports, the feed poller.
LOCAL_SOURCES = (LOCAL_SOURCE, "feeds")


@dataclass(frozen=True)
class Credentials:
    tokens: dict[str, str]
    hmac_keys: dict[str, str]

    def authenticate(self, source: str, authorization: str | None, signature: str | None, body: bytes) -> bool:
        token = self.tokens.get(source)
        if token and authorization and authorization.startswith("Bearer "):
            # Bytes, not str: compare_digest refuses non-ASCII str (a header anyone can send).
            if hmac.compare_digest(authorization.removeprefix("Bearer ").strip().encode(), token.encode()):
                return True
        key = self.hmac_keys.get(source)
        if key and signature and signature.startswith("sha256="):
            expected = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
            return hmac.compare_digest(signature.removeprefix("sha256=").encode(), expected.encode())
        return False


def local_token_file(settings: Settings) -> Path:
    return settings.data_dir / "intake-tokens.json"


def credentials(settings: Settings) -> Credentials:
    """Configured credentials, plus a token for 'manual' generated once per installation so the
    embedded default works without configuration yet never accepts unauthenticated alerts."""
    path = local_token_file(settings)
    generated: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if set(LOCAL_SOURCES) - set(generated):
        generated = {source: generated.get(source) or secrets.token_urlsafe(24) for source in LOCAL_SOURCES}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(generated))
        path.chmod(0o600)
    return Credentials(tokens={**generated, **settings.intake_tokens}, hmac_keys=dict(settings.intake_hmac_keys))
