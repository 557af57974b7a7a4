"""A real local WordPress for the website channel's tests (``scripts/wordpress.sh``): the session
fixture ``site`` (tests/conftest.py) and what tests read back from it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from pasopati.publications.channels import OutgoingMessage
from pasopati.publications.channels.secrets import env_name
from pasopati.publications.channels.wordpress import STATUSES
from pasopati.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "wordpress.sh"
SECRET, WRONG_SECRET = "wp-uji", "wp-uji-salah"


@dataclass(frozen=True)
class Site:
    url: str
    user: str
    password: str
    pid: int

    def _get(self, route: str, **params: Any) -> Any:
        """The REST API by ?rest_route= (it answers with pretty permalinks and without)."""
        response = requests.get(f"{self.url}/", params={"rest_route": route, "context": "edit", **params},
                                auth=(self.user, self.password), timeout=10)
        response.raise_for_status()
        return response.json()

    def posts(self, **params: Any) -> list[dict[str, Any]]:
        """Posts as WordPress holds them (every status but trash unless asked), raw fields."""
        return list(self._get("/wp/v2/posts", **{"status": STATUSES, "per_page": 100, **params}))

    def post(self, post_id: int | str) -> dict[str, Any]:
        return dict(self._get(f"/wp/v2/posts/{post_id}"))

    def holding(self, message: OutgoingMessage) -> list[dict[str, Any]]:
        """Every post whose content holds the message's marker (WordPress's search: title, excerpt, content)."""
        return self.posts(search=message.marker)

    def permalinks(self, kind: str) -> None:
        subprocess.run(["bash", str(SCRIPT), "permalinks", kind], check=True, capture_output=True, timeout=60)


def local_wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A fresh WordPress for the session (cold, packages installed: about 30 s; warm: about 3 s)."""
    out = tmp_path_factory.mktemp("wordpress") / "site.json"
    try:
        result = subprocess.run(["bash", str(SCRIPT), str(out)], check=False, capture_output=True, text=True, timeout=900)
        problem = "" if result.returncode == 0 else f"exit {result.returncode}: {result.stderr.strip()[-600:]}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        problem = str(exc)
    if problem:
        reason = f"scripts/wordpress.sh could not start a local WordPress ({problem})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    data = json.loads(out.read_text())
    found = Site(url=data["url"], user=data["user"], password=data["password"], pid=int(data["pid"]))
    saved = {name: os.environ.get(name) for name in (env_name(SECRET), env_name(WRONG_SECRET))}
    os.environ[env_name(SECRET)] = found.password
    os.environ[env_name(WRONG_SECRET)] = "abcd efgh ijkl mnop qrst uvwx"
    try:
        yield found
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        subprocess.run(["bash", str(SCRIPT), "stop"], check=False, capture_output=True, timeout=60)


