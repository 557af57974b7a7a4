"""Withdrawing recipients no longer listed (service.claim) never loses one who is still listed, and
never leaves one a dead process was sending to stuck (second adversarial review of issue 11). Fast tier."""
from __future__ import annotations

from pathlib import Path

import pytest

from pasopati.audit import service as audit
from pasopati.db import Database
from pasopati.publications import sending
from pasopati.publications import service as publications
from pasopati.publications.models import DeliveryStatus, PublicationStatus
from tests.test_publishing_safety import CHANNEL, approved, journalist_list


@pytest.mark.parametrize("emptied", ["", "# daftar wartawan (sedang diedit)\n", "[]\n", "- redaksi@kompas.com\n- [meja@tempo.co\n", None],
                         ids=["empty", "commented", "brackets", "yaml-error", "missing"])
def test_a_recipients_file_emptied_or_broken_mid_edit_withdraws_nobody(db: Database, tmp_path: Path, emptied: str | None) -> None:
    """An e-mail relay down for two of three journalists: PARTIAL. The operator has the list open in
    an editor (truncated, commented out, broken, renamed away) at the moment a `publish retry` runs:
    that is a problem to show, never every journalist not yet reached leaving the list (they had
    been withdrawn and the release read SENT). Once the list is back, the retry reaches them."""
    from pasopati.publications import operator
    from tests.smtp_server import Fault as SMTPFault
    from tests.smtp_server import SMTPServer, running

    a, b, c = "redaksi@kompas.com", "meja@tempo.co", "desk@detik.com"
    with running(SMTPServer()) as server:
        server.inject(SMTPFault.reply("rcpt", "451 4.3.0 try later", rcpt=b, times=None))
        server.inject(SMTPFault.reply("rcpt", "451 4.3.0 try later", rcpt=c, times=None))
        cat, settings = journalist_list(tmp_path, server.port, [a, b, c], publish_attempts=1)
        incident, draft = approved(db, cat)
        first = sending.publish(db, incident, draft.id, CHANNEL, cat, settings)
        assert first.status is PublicationStatus.PARTIAL
        server.heal()
        if emptied is None:
            (tmp_path / "wartawan.yaml").unlink()  # an editor that renames the old file away before writing the new one
        else:
            (tmp_path / "wartawan.yaml").write_text(emptied)  # the editor's moment
        (done,) = operator.retry(db, incident, cat, settings, channel=CHANNEL)
        (tmp_path / "wartawan.yaml").write_text(f"- {a}\n- {b}\n- {c}\n")  # the editor saves the same list back
        withdrawn = [e for e in audit.events(db, incident_id=incident.id) if e.kind == "publication.recipients_withdrawn"]
        rows = publications.deliveries(db, first.id)
        assert done.status is PublicationStatus.PARTIAL and not withdrawn
        (after,) = operator.retry(db, incident, cat, settings, channel=CHANNEL)
        assert after.status is PublicationStatus.SENT and sorted(m.rcpt_tos[0] for m in server.messages) == sorted([a, b, c])
    assert {d.recipient for d in rows if d.status is not DeliveryStatus.SENT} == {b, c}, "journalists withdrawn by an empty file"


def test_a_journalist_taken_off_the_list_while_a_dead_process_held_their_delivery_becomes_ambiguous(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `publish retry` killed mid-send leaves b's delivery ``sending``; the operator then takes b off
    the list. It may have arrived, so it is neither withdrawn nor sent: it becomes ambiguous, and
    `publish resolve` settles it (before, nothing ever did and the release never completed)."""
    import socket as socket_module

    from pasopati.publications import operator
    from pasopati.watch import settle_stuck_publications
    from tests.smtp_server import Fault as SMTPFault
    from tests.smtp_server import SMTPServer, running

    monkeypatch.setattr("pasopati.runs.crash_abandoned_run", lambda run_id, what: True)
    a, b = "redaksi@kompas.com", "meja@tempo.co"
    with running(SMTPServer()) as server:
        server.inject(SMTPFault.reply("rcpt", "451 4.3.0 try later", rcpt=b, times=None))
        cat, settings = journalist_list(tmp_path, server.port, [a, b], publish_attempts=1)
        incident, draft = approved(db, cat)
        first = sending.publish(db, incident, draft.id, CHANNEL, cat, settings)
        assert first.status is PublicationStatus.PARTIAL
        (b_row,) = [d for d in publications.deliveries(db, first.id) if d.recipient == b]
        dead = f"{socket_module.gethostname()}:999999:1"  # a retry process on this host, killed after its write-ahead
        assert publications.write_ahead(db, [b_row.id], dead) == [b_row.id]
        (tmp_path / "wartawan.yaml").write_text(f"- {a}\n")  # b taken off the list
        outcomes = []
        for _ in range(2):
            try:
                outcomes.append([p.status.value for p in operator.retry(db, incident, cat, settings, channel=CHANNEL)])
            except operator.NothingToDo as exc:
                outcomes.append(str(exc))
            outcomes.append(settle_stuck_publications(db, cat))
        try:
            operator.resolve(db, incident, cat, settings, channel=CHANNEL, recipient=b, sent=False, location=None,
                             by="Operator Uji", proof="totp", reason="uji")
            outcomes.append("resolved")
        except operator.NothingToDo as exc:
            outcomes.append(f"resolve: {exc}")
    rows = {d.recipient: d.status.value for d in publications.deliveries(db, first.id)}
    # Resolved "not sent", b — no longer listed — is then withdrawn: the release is complete for the list.
    assert rows == {a: DeliveryStatus.SENT.value} and "resolved" in outcomes, outcomes
    assert publications.get(db, first.id).status is PublicationStatus.SENT  # type: ignore[union-attr]
