"""Sending through SES v2 (raw MIME). Locally the stack also names a folder where each email sent is
written as an .eml file (OUTBOX_DIR, set by the local stack only)."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from creneau.notify.messages import Email


class SesMailer:
    def __init__(self, client, configuration_set: str | None = None, outbox: str | None = None) -> None:
        self.client, self.configuration_set = client, configuration_set
        self.outbox = Path(outbox) if outbox else None

    def send(self, email: Email) -> None:
        params = {
            "FromEmailAddress": email.sender,
            "Destination": {"ToAddresses": [email.to]},
            "Content": {"Raw": {"Data": email.raw}},
        }
        if self.configuration_set:
            params["ConfigurationSetName"] = self.configuration_set
        self.client.send_email(**params)
        if self.outbox:
            self._write(email)

    def _write(self, email: Email) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(email.raw).hexdigest()[:16]
        name = f"{time.time_ns()}-{digest}.eml"
        tmp = self.outbox / f".{name}.tmp"
        tmp.write_bytes(email.raw)
        os.replace(tmp, self.outbox / name)  # a reader never sees half a file
