"""Per-socket frame rate limit: a token bucket, and what to do with a flood."""

import enum
import time


class TokenBucket:
    """Allow `rate` messages a second with bursts of `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Verdict(enum.Enum):
    ALLOW = "allow"
    WARN = "warn"  # refuse, and say so once per flood
    DROP = "drop"  # refuse silently
    CLOSE = "close"  # the flood went on past another burst's worth


class FrameLimiter:
    """One ERROR per flood; a flood that goes on past another burst's worth is closed."""

    def __init__(self, rate: float, burst: int) -> None:
        self.bucket = TokenBucket(rate, burst)
        self.refused = 0

    def check(self) -> Verdict:
        if not self.bucket.take():
            self.refused += 1
            if self.refused == 1:
                return Verdict.WARN
            return Verdict.CLOSE if self.refused > self.bucket.burst else Verdict.DROP
        if self.bucket.tokens >= self.bucket.burst / 2:
            self.refused = 0  # calm again: forget the flood
        return Verdict.ALLOW
