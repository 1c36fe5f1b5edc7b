"""Log filters that keep credentials out of every log line."""

import logging
import re

_TOKEN_PATTERN = re.compile(r"(token=)[^&\s\"']+", re.IGNORECASE)
_BEARER_PATTERN = re.compile(r"(Bearer\s+)[A-Za-z0-9._-]+")


def redact(text: str) -> str:
    """Replace token values in a string with a marker."""
    return _BEARER_PATTERN.sub(r"\1[redacted]", _TOKEN_PATTERN.sub(r"\1[redacted]", text))


class RedactTokensFilter(logging.Filter):
    """Rewrite a record so that `token=...` query values and bearer tokens never print."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        return True
