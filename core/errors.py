"""The one error type for expected failures, and every message the contract defines."""

from dataclasses import dataclass


class Messages:
    """Error strings of the wire contract, kept in one place."""

    UNAUTHORIZED = "Unauthorized, token missing or invalid"
    TEACHER_REQUIRED = "Forbidden, teacher access required"
    STUDENT_REQUIRED = "Forbidden, student access required"
    INVALID_SCHEMA = "Invalid request schema"
    CLASS_NOT_FOUND = "Class not found"
    NOT_CLASS_TEACHER = "Forbidden, not class teacher"
    NOT_ENROLLED = "Forbidden, not enrolled in class"
    STUDENT_NOT_FOUND = "Student not found"
    USER_NOT_FOUND = "User not found"
    EMAIL_EXISTS = "Email already exists"
    INVALID_LOGIN = "Invalid email or password"
    TOO_MANY_LOGINS = "Too many failed login attempts, try again later"
    TOO_MANY_SIGNUPS = "Too many signups, try again later"
    WRONG_PASSWORD = "Current password is incorrect"
    SESSION_RUNNING = "Session running"
    CLASS_ARCHIVED = "Class is archived"
    TOO_MANY_RESETS = "Too many password reset requests, try again later"
    NOT_FOUND = "Not found"
    BAD_REQUEST = "Bad request"
    METHOD_NOT_ALLOWED = "Method not allowed"
    BODY_TOO_LARGE = "Request body too large"
    INTERNAL = "Internal server error"
    # Join codes, roster import, class settings
    INVALID_JOIN_CODE = "Invalid join code"
    TOO_MANY_JOIN_ATTEMPTS = "Too many join attempts, try again later"
    ROSTER_TOO_LARGE = "Roster too large: at most {rows} rows and {kilobytes} KB"
    ROSTER_NOT_TEXT = "Roster must be UTF-8 text (a CSV file or a list of emails)"
    ROSTER_EMPTY = "Roster has no email addresses"
    ROSTER_BAD_EMAIL = "Roster line {line}: {value} is not an email address"
    ROSTER_NO_EMAIL = "Roster line {line}: no email address"
    ROSTER_MALFORMED = "Roster line {line}: malformed CSV"
    INVALID_TIME_ZONE = "Invalid time zone"
    # WebSocket
    WS_UNAUTHORIZED = "Unauthorized or invalid token"
    WS_INVALID_FORMAT = "Invalid message format"
    WS_UNKNOWN_EVENT = "Unknown event"
    WS_TEACHER_ONLY = "Forbidden, teacher event only"
    WS_STUDENT_ONLY = "Forbidden, student event only"
    WS_NO_SESSION = "No active attendance session"
    WS_CLASS_ID_REQUIRED = "classId required"
    WS_INVALID_STATUS = "Invalid status"
    WS_STUDENT_NOT_ENROLLED = "Student not enrolled in class"
    WS_TOO_LARGE = "Message too large"
    WS_RATE_LIMITED = "Too many messages, slow down"
    WS_TOO_MANY_SOCKETS = "Too many open connections for this account"
    WS_UNAVAILABLE = "Live updates are unavailable right now, try again shortly"
    WS_MARK_FAILED = "Could not record the mark, try again"
    WS_BROADCAST_FAILED = "Saved, but live updates are unavailable right now"
    WS_PERSIST_FAILED = "Could not persist attendance, the session is still active: send DONE again"
    # Self check-in and "I'm here"
    CHECKIN_NOT_OPEN = "Check-in is not open"
    INVALID_CODE = "Invalid code"
    TOO_MANY_ATTEMPTS = "Too many attempts"
    ALREADY_HERE = "Already marked present or late"


@dataclass
class ApplicationError(Exception):
    """An expected failure with the contract's message and HTTP status."""

    message: str
    status: int = 400

    def __str__(self) -> str:
        return self.message
