"""The WebSocket wire format: `{"event": ..., "data": {...}}` frames in, errors for the rest."""

import json

from core.errors import ApplicationError, Messages

# Close codes (an application may close with 1000 or 3000-4999 only; README, "Close codes").
CLOSE_REVOKED = 4001  # the account signed out, changed password, or was deactivated or deleted
CLOSE_TOKEN_EXPIRED = 4002  # the access token expired: reconnect with a fresh one
CLOSE_POLICY = 4008  # no valid credentials at connect, or a flood that went on
CLOSE_TOO_BIG = 4009  # a frame over WS_MAX_MESSAGE_BYTES
CLOSE_TRY_AGAIN = 4013  # the channel layer or the database is unavailable: reconnect shortly
CLOSE_TOO_MANY_SOCKETS = 4029  # the account already holds WS_MAX_SOCKETS_PER_USER sockets


class FrameError(Exception):
    """A frame the server refuses: the ERROR message, and the close code when it also closes."""

    def __init__(self, message: str, close_code: int | None = None) -> None:
        super().__init__(message)
        self.message, self.close_code = message, close_code


def parse(text: str | None, *, max_bytes: int) -> tuple[str, dict]:
    """Return (event, data) of a text frame; raise FrameError for anything else."""
    if text is None:
        raise FrameError(Messages.WS_INVALID_FORMAT)
    # The limit is on UTF-8 bytes; a character is at most four of them, so most frames skip the encode.
    if len(text) * 4 > max_bytes and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise FrameError(Messages.WS_TOO_LARGE, CLOSE_TOO_BIG)
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise FrameError(Messages.WS_INVALID_FORMAT) from None
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        raise FrameError(Messages.WS_INVALID_FORMAT)
    data = message.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrameError(Messages.WS_INVALID_FORMAT)
    return message["event"], data


def catch_up_request(data: dict) -> tuple[str, str | None, int]:
    """Return (classId, sessionId, since) of a CATCH_UP; raise the contract's error when they are not that."""
    class_id, session_id, since = data.get("classId"), data.get("sessionId"), data.get("since", 0)
    if (
        not isinstance(class_id, str)
        or not (session_id is None or isinstance(session_id, str))
        or isinstance(since, bool)
        or not isinstance(since, int)
        or since < 0
    ):
        raise ApplicationError(Messages.WS_INVALID_FORMAT, 400)
    return class_id, session_id, since
