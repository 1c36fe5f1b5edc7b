"""Reads for the site: dashboards, session history, attendance rates, CSV rows, the chart."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.db.models import Count

from accounts.models import User
from attendance.models import AttendanceRecord, AttendanceSession, ClassPolicy, Status
from attendance.policy import policies_of, policy_of
from attendance.selectors import iso_millis
from classes.models import Class, Enrollment
from core import timezones
from core.csv_safety import safe_cell
from reports.standing import Standing

# Times in UTC first (as the API gives them), then local to the class, with its zone named.
CSV_HEADER = [
    "class",
    "session_started_at",
    "session_ended_at",
    "student_name",
    "student_email",
    "status",
    "marked_at",
    "time_zone",
    "session_started_local",
    "marked_at_local",
]

# A session counts as attended when the student was there, on time or late. Excused and
# absent sessions are not attended; both stay in the rate's denominator.
ATTENDED = frozenset({Status.PRESENT.value, Status.LATE.value})


@dataclass(frozen=True)
class ClassRow:
    """A class on its teacher's dashboard."""

    klass: Class
    roster_size: int
    running: AttendanceSession | None
    sessions_held: int


@dataclass(frozen=True)
class SessionRow:
    """One finished session and its result."""

    session_id: str
    started_at: datetime
    ended_at: datetime
    present: int
    late: int
    excused: int
    absent: int
    total: int
    automatic: bool

    @property
    def attended(self) -> int:
        return self.present + self.late

    @property
    def rate(self) -> int | None:
        return _percent(self.attended, self.total)


@dataclass(frozen=True)
class StudentRate:
    """A student's attendance over a class's finished sessions, under the class's policy."""

    student: User
    standing: Standing

    @property
    def attended(self) -> int | float:
        return self.standing.attended

    @property
    def sessions(self) -> int:
        return self.standing.counted

    @property
    def rate(self) -> int | None:
        return self.standing.rate


@dataclass(frozen=True)
class HistoryEntry:
    """A student's status in one finished session."""

    started_at: datetime
    status: str


@dataclass(frozen=True)
class ClassHistory:
    """A student's attendance in one class."""

    klass: Class
    enrolled: bool
    entries: list[HistoryEntry] = field(default_factory=list)
    policy: ClassPolicy | None = None

    @cached_property
    def standing(self) -> Standing:
        return Standing.of_statuses((entry.status for entry in self.entries), self.policy)

    @property
    def attended(self) -> int | float:
        return self.standing.attended

    @property
    def rate(self) -> int | None:
        return self.standing.rate


@dataclass(frozen=True)
class Segment:
    """One status's part of a chart bar."""

    status: str
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    """One session in the chart: present at the bottom, then late, excused and absent stacked on it."""

    x: float
    width: float
    top_y: float
    segments: list[Segment]
    label_x: float
    label: str
    value: str
    title: str


@dataclass(frozen=True)
class Chart:
    """Geometry of the attendance chart, drawn as inline SVG by the template."""

    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_bottom: float
    ticks: list[tuple[float, int]]
    bars: list[Bar]
    summary: str


CHART_ORDER = (Status.PRESENT.value, Status.LATE.value, Status.EXCUSED.value, Status.ABSENT.value)


def _counts_text(row: SessionRow) -> str:
    parts = [f"{row.present} present"]
    parts += [f"{getattr(row, status)} {status}" for status in (Status.LATE, Status.EXCUSED) if getattr(row, status)]
    parts.append(f"{row.absent} absent")
    return ", ".join(parts)


def _percent(part: int, whole: int) -> int | None:
    return round(part * 100 / whole) if whole else None


def dashboard_rows(*, teacher: User) -> list[ClassRow]:
    """Return the teacher's classes (archived ones left out) with roster size, running session and sessions held."""
    classes = list(Class.objects.filter(teacher=teacher, archived_at__isnull=True).order_by("class_name", "created_at"))
    class_ids = [klass.pk for klass in classes]
    if not class_ids:
        return []
    sizes = {
        row["klass_id"]: row["n"]
        for row in Enrollment.objects.filter(klass_id__in=class_ids).values("klass_id").annotate(n=Count("pk"))
    }
    running = {
        session.klass_id: session
        for session in AttendanceSession.objects.filter(klass_id__in=class_ids, is_active=True)
    }
    held = {
        row["klass_id"]: row["n"]
        for row in AttendanceSession.objects.filter(klass_id__in=class_ids, is_active=False)
        .values("klass_id")
        .annotate(n=Count("pk"))
    }
    return [
        ClassRow(
            klass=klass,
            roster_size=sizes.get(klass.pk, 0),
            running=running.get(klass.pk),
            sessions_held=held.get(klass.pk, 0),
        )
        for klass in classes
    ]


def _ended_sessions(klass: Class):
    return AttendanceSession.objects.filter(klass=klass, is_active=False, ended_at__isnull=False)


def class_sessions(*, klass: Class, limit: int | None = None) -> list[SessionRow]:
    """Return the class's finished sessions, newest first."""
    sessions = _ended_sessions(klass).order_by("-started_at")
    if limit is not None:
        sessions = sessions[:limit]
    return [
        SessionRow(
            session_id=str(session.pk),
            started_at=session.started_at,
            ended_at=session.ended_at,
            present=session.present_count,
            late=session.late_count,
            excused=session.excused_count,
            absent=session.absent_count,
            total=session.total_count,
            automatic=session.finished_automatically,
        )
        for session in sessions
    ]


def student_rates(*, klass: Class, students: list[User]) -> dict[str, StudentRate]:
    """Return {studentId: rate} over the class's finished sessions for the given students, under its policy."""
    session_ids = list(_ended_sessions(klass).values_list("pk", flat=True))
    counts: dict[object, dict[str, int]] = {}
    if session_ids:
        rows = (
            AttendanceRecord.objects.filter(session_id__in=session_ids, student_id__in=[s.pk for s in students])
            .values("student_id", "status")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            counts.setdefault(row["student_id"], {})[row["status"]] = row["n"]
    policy = policy_of(klass=klass)
    return {
        str(student.pk): StudentRate(student=student, standing=Standing.of(counts.get(student.pk, {}), policy))
        for student in students
    }


def student_history(*, student: User) -> list[ClassHistory]:
    """Return the student's status in every finished session, per class (enrolled ones first)."""
    enrolled_ids = set(Enrollment.objects.filter(student=student).values_list("klass_id", flat=True))
    records = list(AttendanceRecord.objects.filter(student=student).values_list("session_id", "status"))
    sessions = {
        session.pk: session
        for session in AttendanceSession.objects.filter(
            pk__in=[session_id for session_id, _ in records], is_active=False
        ).only("pk", "klass_id", "started_at")
    }
    by_class: dict[object, list[HistoryEntry]] = {}
    for session_id, status in records:
        session = sessions.get(session_id)
        if session is not None:
            by_class.setdefault(session.klass_id, []).append(HistoryEntry(started_at=session.started_at, status=status))
    classes = list(Class.objects.filter(pk__in=list(enrolled_ids | set(by_class))).order_by("class_name", "created_at"))
    policies = policies_of(classes=classes)
    history = [
        ClassHistory(
            klass=klass,
            enrolled=klass.pk in enrolled_ids,
            entries=sorted(by_class.get(klass.pk, []), key=lambda entry: entry.started_at, reverse=True),
            policy=policies[klass.pk],
        )
        for klass in classes
    ]
    return sorted(history, key=lambda item: not item.enrolled)


def records_csv_rows(*, sessions: list[AttendanceSession]) -> Iterator[list[str]]:
    """Yield the CSV header, then one row per record of the sessions (by start, then student name)."""
    yield CSV_HEADER
    if not sessions:
        return
    classes = {klass.pk: klass for klass in Class.objects.filter(pk__in=list({s.klass_id for s in sessions}))}
    records = list(AttendanceRecord.objects.filter(session_id__in=[session.pk for session in sessions]))
    students = {user.pk: user for user in User.objects.filter(pk__in=list({r.student_id for r in records}))}
    by_session: dict[object, list[AttendanceRecord]] = {}
    for record in records:
        by_session.setdefault(record.session_id, []).append(record)
    for session in sorted(sessions, key=lambda s: s.started_at):
        rows = by_session.get(session.pk, [])
        rows.sort(key=lambda r: (students[r.student_id].name.lower(), students[r.student_id].email))
        klass = classes.get(session.klass_id)
        zone = klass.time_zone if klass else "UTC"
        for record in rows:
            student = students[record.student_id]
            yield [
                safe_cell(klass.class_name if klass else ""),
                iso_millis(session.started_at),
                iso_millis(session.ended_at) if session.ended_at else "",
                safe_cell(student.name),
                safe_cell(student.email),
                record.status,
                iso_millis(record.marked_at),
                zone,
                timezones.local_iso(session.started_at, zone),
                timezones.local_iso(record.marked_at, zone),
            ]


def class_csv_rows(*, klass: Class) -> Iterator[list[str]]:
    """Yield the CSV of every record of a class (a running session's end is blank)."""
    return records_csv_rows(sessions=list(AttendanceSession.objects.filter(klass=klass)))


def attendance_chart(
    *, sessions: list[SessionRow], time_zone: str = "UTC", width: int = 480, height: int = 230
) -> Chart | None:
    """Lay out a stacked bar per session (oldest on the left): present, late, excused, absent upwards.

    Dates are the class's: a session at 23:30 in Auckland is on that day, whatever UTC says.
    """
    if not sessions:
        return None
    ordered = sorted(sessions, key=lambda row: row.started_at)
    left, right, top, bottom = 34, width - 6, 26, height - 34
    plot_height = bottom - top
    top_value = max(max(row.total for row in ordered), 1)
    slot = (right - left) / len(ordered)
    bar_width = min(slot * 0.62, 48)
    # Date labels need about 48 units and values about 40: thin them out when bars are narrow.
    label_every = max(1, -(-48 // int(slot)))
    show_values = slot >= 40
    bars = []
    for index, row in enumerate(ordered):
        show_label = (len(ordered) - 1 - index) % label_every == 0
        x = left + slot * index + (slot - bar_width) / 2
        segments = []
        y = bottom
        for status in CHART_ORDER:
            segment_height = getattr(row, status) / top_value * plot_height
            if segment_height:
                y -= segment_height
                segments.append(Segment(status=status, y=round(y, 1), height=round(segment_height, 1)))
        local = timezones.local(row.started_at, time_zone)
        label = f"{local.day} {local:%b}"
        bars.append(
            Bar(
                x=round(x, 1),
                width=round(bar_width, 1),
                top_y=round(y, 1),
                segments=segments,
                label_x=round(x + bar_width / 2, 1),
                label=label if show_label else "",
                value=f"{row.attended}/{row.total}" if show_values else "",
                title=f"{local.day} {local:%b %Y %H:%M} {time_zone}: {_counts_text(row)} of {row.total}",
            )
        )
    tick_values = sorted({0, top_value // 2, top_value}) if top_value > 1 else [0, 1]
    ticks = [(round(bottom - value / top_value * plot_height, 1), value) for value in tick_values]
    rates = [row.rate for row in ordered if row.rate is not None]
    average = round(sum(rates) / len(rates)) if rates else 0
    summary = f"{len(ordered)} sessions, average attendance {average}%, dates in {time_zone}"
    return Chart(
        width=width,
        height=height,
        plot_left=left,
        plot_right=right,
        plot_bottom=bottom,
        ticks=ticks,
        bars=bars,
        summary=summary,
    )
