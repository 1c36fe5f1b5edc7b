"""The in-memory channel layer of the single-process default, made cheap for big classes."""

import time

from channels.layers import InMemoryChannelLayer


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, sweeping expired messages once a second.

    The stock layer scans every channel and group on every receive and group_send, which
    makes one broadcast to N sockets cost O(N²); a class of 1,000 stalls on it.
    """

    sweep_interval = 1.0
    _last_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < self.sweep_interval:
            return
        self._last_sweep = now
        super()._clean_expired()
