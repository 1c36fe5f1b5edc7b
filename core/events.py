"""Announce what a write did, once it has committed.

Apps send Django signals through `send_after_commit`; higher layers (the live transport)
connect receivers. A receiver that fails (Redis down, say) is logged: the write it announces
has committed and stands, so its failure never becomes the caller's error.
"""

import logging

from django.dispatch import Signal

from core.transactions import on_commit

logger = logging.getLogger("attendance.events")


def send_after_commit(signal: Signal, **kwargs) -> None:
    """Send `signal` with `kwargs` once the surrounding transaction commits (at once outside one)."""
    on_commit(lambda: send_now(signal, **kwargs))


def send_now(signal: Signal, **kwargs) -> None:
    """Send `signal` to every receiver; log, never raise, what a receiver raised."""
    for receiver, result in signal.send_robust(sender=None, **kwargs):
        if isinstance(result, Exception):
            logger.warning(
                "Receiver %s failed: %s: %s", getattr(receiver, "__qualname__", receiver), type(result).__name__, result
            )
