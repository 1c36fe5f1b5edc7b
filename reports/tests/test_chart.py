"""The attendance chart's geometry and dates."""

from datetime import UTC, datetime

from reports.history import SessionRow, attendance_chart


def test_the_chart_keeps_its_size_whatever_the_last_bar_holds():
    row = SessionRow(
        session_id="1",
        started_at=datetime(2025, 3, 11, 23, 30, tzinfo=UTC),
        ended_at=datetime(2025, 3, 11, 23, 40, tzinfo=UTC),
        present=3,
        late=1,
        excused=1,
        absent=1,
        total=6,
        automatic=False,
    )

    chart = attendance_chart(sessions=[row], time_zone="Pacific/Auckland")

    assert (chart.width, chart.height) == (480, 230)
    assert chart.bars[0].label == "12 Mar"  # the class's date, not UTC's
    assert chart.bars[0].title.startswith("12 Mar 2025 12:30 Pacific/Auckland:")
