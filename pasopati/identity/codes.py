"""TOTP arithmetic (RFC 6238 over RFC 4226 HOTP): steps, provisioning URIs, which steps a code matches.

Parameters are the RFC's and every authenticator app's defaults: HMAC-SHA1, 6 digits, a time step
X = 30 s counted from the Unix epoch (T0 = 0). X is a setting (``PASOPATI_TOTP_STEP_SECONDS``; RFC 6238
§5.2 makes it a system parameter): the end-to-end tests use a shorter one so that one person can
act several times a minute; a deployment should keep 30 (some apps ignore another ``period``). A code is accepted for the current step and one step
either side (pyotp's ``valid_window=1``; RFC 6238 §5.2 allows "at most one time step" of network
delay and §6 clock drift), and never twice (§5.2: "the verifier MUST NOT accept the second attempt
of the same OTP").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
from pyotp.utils import strings_equal

DIGITS = 6
VALID_WINDOW = 1
ISSUER = "PASOPATI"
CODE_SHAPE = re.compile(rf"\d{{{DIGITS}}}")


def step_seconds() -> int:
    """X, the time step in seconds (30 unless configured)."""
    from pasopati.settings import get_settings

    return get_settings().totp_step_seconds


def step_length() -> timedelta:
    return timedelta(seconds=step_seconds())


def new_secret() -> str:
    """A random base32 secret of 32 characters = 160 bits (RFC 4226 §4 R6 recommends 160), from ``secrets``."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, person: str) -> str:
    """``otpauth://totp/PASOPATI:<person>?secret=…&issuer=PASOPATI`` (Google Authenticator key URI format)."""
    return pyotp.TOTP(secret, interval=step_seconds()).provisioning_uri(name=person, issuer_name=ISSUER)


def step_of(moment: datetime) -> int:
    """The RFC 6238 time step (counter) ``moment`` falls in: floor(unix seconds / 30)."""
    return int(moment.timestamp()) // step_seconds()


def step_start(step: int) -> datetime:
    return datetime.fromtimestamp(step * step_seconds(), UTC)


def normalised(code: str) -> str | None:
    """The code without spaces (apps show '123 456'); None unless it is then exactly 6 digits."""
    compact = re.sub(r"\s+", "", code)
    return compact if CODE_SHAPE.fullmatch(compact) else None


def matching_steps(secret: str, code: str, now: datetime) -> list[int]:
    """The steps within ``VALID_WINDOW`` of ``now`` whose code equals ``code`` (constant-time compare),
    oldest first; usually none or one."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=step_seconds())
    current = step_of(now)
    steps = range(current - VALID_WINDOW, current + VALID_WINDOW + 1)
    return [s for s in steps if strings_equal(totp.at(s * step_seconds()), code)]


def code_at(secret: str, moment: datetime) -> str:
    """The code an authenticator app shows at ``moment`` (tests, and nothing else, need this)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=step_seconds()).at(moment)
