"""The credential key: where it comes from, and sealing TOTP secrets with it (Fernet).

A ``KeyProvider`` is anything with ``fernet() -> MultiFernet``. Three are provided:

- ``PrefectSecretKey`` (the default): a Prefect ``Secret`` block named ``pasopati-kunci-kredensial``
  on the server ``PREFECT_API_URL`` names, created with a fresh key on first use, read once per
  process. The key never leaves the Prefect server's block store and this process's memory.
- ``CredentialKey``: keys given directly (tests; deployments without Prefect blocks). Several keys
  rotate: the first encrypts, every one decrypts (``cryptography``'s MultiFernet).
- ``configured_key()``: ``PASOPATI_CREDENTIAL_KEY`` (comma-separated Fernet keys) when set, else the
  Prefect block.

Losing the key loses every enrolment (people enrol again with ``--replace``), nothing else.
A sealed secret names its person, so a ciphertext copied to another person's row is refused.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from pasopati.identity.models import CredentialKeyError

BLOCK_NAME = "pasopati-kunci-kredensial"
SEAL_VERSION = 1


@runtime_checkable
class KeyProvider(Protocol):
    def fernet(self) -> MultiFernet:
        """The key(s) to seal and open secrets with; CredentialKeyError when unavailable or malformed."""
        ...


class CredentialKey:
    """Fernet keys given directly: 32 url-safe base64-encoded bytes each (``Fernet.generate_key()``)."""

    def __init__(self, *keys: str | bytes):
        if not keys:
            raise CredentialKeyError("kunci kredensial kosong (no credential key given)")
        self._keys = tuple(k.decode() if isinstance(k, bytes) else k.strip() for k in keys)
        self._fernet = self._build()  # malformed keys fail here, not at first use

    def __repr__(self) -> str:
        return f"CredentialKey(<{len(self._keys)} key(s)>)"

    @classmethod
    def generate(cls) -> CredentialKey:
        return cls(Fernet.generate_key())

    @classmethod
    def parse(cls, value: str, source: str) -> CredentialKey:
        """Comma-separated keys from ``source`` (named in the error), e.g. PASOPATI_CREDENTIAL_KEY."""
        try:
            return cls(*(k for k in value.split(",") if k.strip()))
        except CredentialKeyError as exc:
            raise CredentialKeyError(f"{source}: {exc}") from None

    def fernet(self) -> MultiFernet:
        return self._fernet

    def _build(self) -> MultiFernet:
        try:
            return MultiFernet([Fernet(k) for k in self._keys])
        except ValueError:
            raise CredentialKeyError(
                "kunci kredensial tidak sah (the credential key is not a Fernet key: 32 url-safe base64-encoded bytes)"
            ) from None


_block_keys: dict[str, CredentialKey] = {}
_block_lock = threading.Lock()


@dataclass(frozen=True)
class PrefectSecretKey:
    """The key in a Prefect Secret block, created on first use; cached per process and block name."""

    block_name: str = BLOCK_NAME

    def fernet(self) -> MultiFernet:
        with _block_lock:
            if self.block_name not in _block_keys:
                _block_keys[self.block_name] = CredentialKey.parse(_load_or_create(self.block_name), f"block {self.block_name}")
            return _block_keys[self.block_name].fernet()


def _load_or_create(name: str) -> str:
    """The block's value; a new random key saved under ``name`` when there is none (first use).

    Raises httpx.HTTPError when the Prefect server cannot be reached (callers say so in one line)."""
    from prefect.blocks.system import Secret

    try:
        return str(Secret.load(name).get())
    except ValueError as exc:
        if "Unable to find block document" not in str(exc):
            raise
    try:
        Secret(value=Fernet.generate_key().decode()).save(name)
    except ValueError as exc:  # another process created it between our load and save: use theirs
        if "already in use" not in str(exc):
            raise
    return str(Secret.load(name).get())


def forget_cached_keys() -> None:
    """Drop the per-process cache of block keys (tests; a process told the block was rotated)."""
    with _block_lock:
        _block_keys.clear()


def configured_key() -> KeyProvider:
    """``PASOPATI_CREDENTIAL_KEY`` when set (comma-separated Fernet keys), else the Prefect block."""
    from pasopati.settings import get_settings

    value = get_settings().credential_key
    return CredentialKey.parse(value, "PASOPATI_CREDENTIAL_KEY") if value.strip() else PrefectSecretKey()


def seal(key: KeyProvider, person: str, secret: str) -> str:
    """``secret`` (base32 TOTP secret) encrypted together with the person it belongs to."""
    payload = json.dumps({"v": SEAL_VERSION, "person": person, "secret": secret}, separators=(",", ":"))
    return key.fernet().encrypt(payload.encode()).decode()


def unseal(key: KeyProvider, person: str, sealed: str) -> str:
    """The secret ``seal`` encrypted for ``person``; CredentialKeyError for another key or person."""
    try:
        payload = json.loads(key.fernet().decrypt(sealed.encode()))
    except InvalidToken:
        raise CredentialKeyError(
            f"rahasia TOTP {person} tidak dapat dibuka dengan kunci kredensial ini (the credential key is not the"
            " one it was sealed with: was the key or the Prefect server's database replaced? enrol again with --replace)"
        ) from None
    if payload.get("person") != person:
        raise CredentialKeyError(f"rahasia TOTP di baris {person} milik orang lain (a secret sealed for another person)")
    return str(payload["secret"])
