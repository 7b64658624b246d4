"""Holding a ledger row for the length of one delivery attempt.

A claim's lease is short (``NOTIFIER_LEASE_SECONDS``) and renewed from a background thread
while the attempt runs, so a dead attempt's row is free again within one lease, however long
RQ's job timeout is. A new attempt that finds the row still leased waits for it (bounded)
rather than failing: the usual case is a redelivery after the holder died, whose lease is
about to run out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .exceptions import DeliveryInProgress
from .ledger import Claim, Ledger

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
"""How often a waiting attempt tries the row again."""


def claim_patiently(
    ledger: Ledger,
    key: str,
    *,
    recipient: str,
    template: str,
    message_id: str,
    lease_seconds: float,
) -> Claim | None:
    """Claim ``key`` (``None`` if it was sent), waiting up to one lease and a bit for another
    attempt's lease to run out; then raise :class:`DeliveryInProgress` (RQ retries later)."""
    deadline = time.monotonic() + lease_seconds + 2 * POLL_SECONDS
    while True:
        try:
            return ledger.claim(
                key,
                recipient=recipient,
                template=template,
                message_id=message_id,
                lease_seconds=lease_seconds,
            )
        except DeliveryInProgress:
            if time.monotonic() >= deadline:
                raise
        time.sleep(POLL_SECONDS)


@contextmanager
def kept(ledger: Ledger, claim: Claim, lease_seconds: float) -> Iterator[None]:
    """Renew ``claim``'s lease every third of ``lease_seconds`` until the block ends."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease_seconds / 3):
            try:
                if not ledger.renew(claim, lease_seconds):
                    return  # taken over: mark_sending will refuse this attempt
            except Exception as error:  # a database hiccup: the next renewal may succeed
                log.warning(
                    "could not renew the lease of %s", claim.key, extra={"error": str(error)}
                )

    thread = threading.Thread(target=renew, name=f"lease {claim.key}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=lease_seconds)
