"""The Prefect server's lock: the basic-auth credential ``pasopati up`` turns on, and that every
PASOPATI process (the CLI, the intake, the serving process and the runs it starts, the watcher)
presents without anyone setting it by hand.

The credential is ``user:password`` (Prefect's ``PREFECT_SERVER_API_AUTH_STRING`` on the server,
``PREFECT_API_AUTH_STRING`` on clients). It is generated on the first ``up`` into
``data_dir/prefect-auth.json`` (mode 0600)::

    {"user": "pasopati", "password": "<32 url-safe characters>", "login": "pasopati:<password>"}

``login`` is what the Prefect UI's login page asks for. Variables the user set win over the file.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

from pasopati.settings import Settings, get_settings

USER = "pasopati"
SERVER_VAR = "PREFECT_SERVER_API_AUTH_STRING"
CLIENT_VAR = "PREFECT_API_AUTH_STRING"


# What use_credential put into PREFECT_API_AUTH_STRING from the file: not a choice of the user's.
_loaded: str | None = None


class CredentialError(RuntimeError):
    """The credential file is unreadable or malformed, or the server refuses the credential."""


def credential_file(settings: Settings) -> Path:
    return settings.data_dir / "prefect-auth.json"


def read_login(settings: Settings) -> str | None:
    """The stored ``user:password``, or None when there is no file yet. Raises CredentialError."""
    path = credential_file(settings)
    try:
        login = json.loads(path.read_text())["login"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CredentialError(f"cannot read the Prefect server credential {path}: {exc!r}") from exc
    if not isinstance(login, str) or ":" not in login:
        raise CredentialError(f"{path}: 'login' must be 'user:password'")
    return login


def ensure_login(settings: Settings) -> str:
    """The stored ``user:password``, generated (mode 0600 from the start) when there is none."""
    if (login := read_login(settings)) is not None:
        return login
    password = secrets.token_urlsafe(24)  # 192 bits; no ':' (it separates user and password)
    login = f"{USER}:{password}"
    path = credential_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two first starts at once keep one credential; 0600 before a byte is written.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_login(settings) or login
    with os.fdopen(fd, "w") as out:
        json.dump({"user": USER, "password": password, "login": login}, out)
        out.flush()
        os.fsync(out.fileno())
    return login


def _user_set(var: str) -> bool:
    return bool(os.environ.get(var)) and not (var == CLIENT_VAR and os.environ[var] == _loaded)


def server_login(settings: Settings) -> tuple[str, str]:
    """For ``up``: (the credential its server is to require, where it comes from) — the user's
    PREFECT_SERVER_API_AUTH_STRING, else their PREFECT_API_AUTH_STRING, else the file (made if new).
    PREFECT_API_AUTH_STRING is set to it too (for ``up``'s children) unless the user set it."""
    login, origin = next(
        ((os.environ[var], var) for var in (SERVER_VAR, CLIENT_VAR) if _user_set(var)),
        (None, str(credential_file(settings))),
    )
    login = login or ensure_login(settings)
    if not _user_set(CLIENT_VAR):
        _present(login)
    return login, origin


def use_credential(settings: Settings | None = None) -> str | None:
    """Make this process's Prefect clients (and the processes it starts) present the credential.

    Sets PREFECT_API_AUTH_STRING from the file unless it is already set (the user's choice wins) and
    refreshes Prefect's settings if Prefect was imported before. Returns the credential in effect,
    or None (no file: a server without auth). A broken file is left to the 401 it causes, so
    commands that never talk to Prefect still work."""
    if not os.environ.get(CLIENT_VAR):
        try:
            login = read_login(settings or get_settings())
        except CredentialError:
            return None
        if login is None:
            return None
        _present(login)
    return os.environ[CLIENT_VAR]


def _present(login: str) -> None:
    global _loaded
    os.environ[CLIENT_VAR] = _loaded = login
    if "prefect.context" in sys.modules:  # Prefect reads its settings once, at import
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()


def redacted(login: str) -> str:
    """``user:ab…`` — enough to tell credentials apart in a log, never the password."""
    user, _, password = login.partition(":")
    return f"{user}:{password[:2]}…"


def authorization(login: str) -> dict[str, str]:
    """The HTTP header a client sends: ``{"Authorization": "Basic <base64 of user:password>"}``."""
    import base64

    return {"Authorization": "Basic " + base64.b64encode(login.encode()).decode()}
