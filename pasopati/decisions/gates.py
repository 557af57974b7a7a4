"""Gates: which human step a suspended run is waiting at.

The pause key is the gate, then "-ke-2", "-ke-3"… for each further round at it (a refused or second
approver, a revised draft). Prefect allows only letters, digits and dashes in run input keys.
"""

from __future__ import annotations

import re

from pasopati.plan.runbook import MessageType

GATE_HOLDING = "persetujuan-awal"
GATE_VERIFICATION = "verifikasi"
GATE_FULL = "persetujuan-lengkap"
GATE_CORRECTION = "persetujuan-koreksi"
APPROVAL_GATES = (GATE_HOLDING, GATE_FULL, GATE_CORRECTION)
REVISION_PREFIX = "revisi-"  # "revisi-persetujuan-awal": back to drafting after request-changes
ROUND = re.compile(r"-ke-(\d+)$")

# The messages each approval gate decides on.
GATE_TYPES = {
    GATE_HOLDING: {MessageType.HOLDING_STATEMENT},
    GATE_FULL: {MessageType.PRESS_RELEASE, MessageType.CLARIFICATION, MessageType.QA_SHEET, MessageType.SITUATION_REPORT},
    GATE_CORRECTION: {MessageType.CORRECTION, MessageType.UPDATE},
}


def pause_key(gate: str, round_: int) -> str:
    return gate if round_ == 1 else f"{gate}-ke-{round_}"


def gate_of(key: str) -> str:
    return ROUND.sub("", key)


def round_of(key: str) -> int:
    match = ROUND.search(key)
    return int(match.group(1)) if match else 1


def revision_gate(gate: str) -> str:
    return f"{REVISION_PREFIX}{gate}"


def waiting_state_name(key: str) -> str:
    """The Prefect state name of a run waiting at pause ``key``: "Menunggu-persetujuan-awal-ke-2".
    Letters, digits and dashes only: Prefect derives the run input keys from it."""
    return f"Menunggu-{key}"


def input_base_key(key: str) -> str:
    """Prefect's run input base key for a run waiting at ``key`` (keyset_from_paused_state's rule)."""
    return f"{waiting_state_name(key).lower()}-{key}"
