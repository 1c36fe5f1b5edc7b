"""The sessions routes: listing, detail, and setting a record (a mark, or a logged correction)."""

import pytest

from attendance import selectors, services
from attendance.models import AttendanceRecord, AttendanceSession, RecordChange
from attendance.tests.test_api import BAD_IDS, ISO_MILLIS_Z, assert_error, assert_ok
from core.errors import Messages
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(teacher):
    ann, ben = factories.make_student(name="Ann Archer"), factories.make_student(name="Ben Baker")
    klass = factories.make_class(teacher=teacher, students=[ann, ben], name="Latin")
    finished = factories.finished_session(klass, {ann: "present", ben: "late"}, days_ago=1)
    return {"teacher": teacher, "ann": ann, "ben": ben, "klass": klass, "finished": finished}


def sessions_url(klass) -> str:
    return f"/class/{klass.pk}/sessions"


def record_url(klass, session, student) -> str:
    return f"/class/{klass.pk}/sessions/{session.pk}/records/{getattr(student, 'pk', student)}"


def patch(client, url: str, body: object):
    return client.patch(url, body, format="json")


# GET /class/:id/sessions ------------------------------------------------------------------------


def test_listing_gives_every_session_newest_first_with_counts(auth, world):
    klass, ann = world["klass"], world["ann"]
    running = services.session_start(teacher=world["teacher"], klass=klass)
    services.attendance_mark(session=running, student_id=str(ann.pk), status="excused", by=world["teacher"])

    data = assert_ok(auth(world["teacher"]).get(sessions_url(klass)))

    assert [row["_id"] for row in data] == [str(running.pk), str(world["finished"].pk)]
    live, done = data
    assert live["endedAt"] is None and ISO_MILLIS_Z.match(live["startedAt"])
    assert {k: live[k] for k in ("present", "late", "excused", "absent", "total", "automatic")} == {
        "present": 0,
        "late": 0,
        "excused": 1,
        "absent": 0,
        "total": 1,
        "automatic": False,
    }
    assert set(done) == {"_id", "startedAt", "endedAt", "present", "late", "excused", "absent", "total", "automatic"}
    assert ISO_MILLIS_Z.match(done["endedAt"])
    assert (done["present"], done["late"], done["excused"], done["absent"], done["total"]) == (1, 1, 0, 0, 2)


def test_listing_of_a_class_without_sessions_is_empty(auth, teacher):
    klass = factories.make_class(teacher=teacher)
    assert assert_ok(auth(teacher).get(sessions_url(klass))) == []


def test_listing_checks_token_role_class_and_owner(api, auth, world):
    klass = world["klass"]
    assert_error(api.get(sessions_url(klass)), 401, Messages.UNAUTHORIZED)
    assert_error(auth(world["ann"]).get(sessions_url(klass)), 403, Messages.TEACHER_REQUIRED)
    assert_error(auth(factories.make_teacher()).get(sessions_url(klass)), 403, Messages.NOT_CLASS_TEACHER)
    for bad in BAD_IDS:
        assert_error(auth(world["teacher"]).get(f"/class/{bad}/sessions"), 404, Messages.CLASS_NOT_FOUND)


# GET /class/:id/sessions/:sessionId -------------------------------------------------------------


def test_detail_lists_records_with_notes_and_changes(auth, world):
    klass, ann, ben, finished = world["klass"], world["ann"], world["ben"], world["finished"]
    services.record_correct(
        session=finished, student_id=str(ben.pk), status="excused", note="Bus strike", by=klass.teacher
    )

    data = assert_ok(auth(world["teacher"]).get(f"{sessions_url(klass)}/{finished.pk}"))

    assert set(data) == {"_id", "classId", "startedAt", "endedAt", "records"}
    assert (data["_id"], data["classId"]) == (str(finished.pk), str(klass.pk))
    first, second = data["records"]
    assert (first["studentId"], first["name"], first["status"], first["note"], first["changes"]) == (
        str(ann.pk),
        "Ann Archer",
        "present",
        "",
        [],
    )
    assert ISO_MILLIS_Z.match(first["markedAt"])
    assert (second["name"], second["status"], second["note"]) == ("Ben Baker", "excused", "Bus strike")
    [change] = second["changes"]
    assert set(change) == {"at", "by", "from", "to", "note"}
    assert (change["by"], change["from"], change["to"], change["note"]) == (
        str(klass.teacher.pk),
        "late",
        "excused",
        "Bus strike",
    )
    assert ISO_MILLIS_Z.match(change["at"])


def test_detail_of_a_running_session_lists_unmarked_students_too(auth, world):
    klass, ann = world["klass"], world["ann"]
    running = services.session_start(teacher=world["teacher"], klass=klass)
    services.attendance_mark(session=running, student_id=str(ann.pk), status="present", by=world["teacher"])

    data = assert_ok(auth(world["teacher"]).get(f"{sessions_url(klass)}/{running.pk}"))

    assert data["endedAt"] is None
    assert [(r["name"], r["status"], r["markedAt"] is None) for r in data["records"]] == [
        ("Ann Archer", "present", False),
        ("Ben Baker", None, True),
    ]


def test_a_session_of_another_class_or_none_is_not_found(auth, world):
    teacher, klass = world["teacher"], world["klass"]
    other = factories.make_class(teacher=teacher, students=[world["ann"]], name="Greek")
    foreign = factories.finished_session(other, {world["ann"]: "present"})
    client = auth(teacher)

    assert_error(client.get(f"{sessions_url(klass)}/{foreign.pk}"), 404, Messages.SESSION_NOT_FOUND)
    assert_error(
        patch(client, record_url(klass, foreign, world["ann"]), {"status": "absent"}), 404, "Session not found"
    )
    for bad in BAD_IDS:
        assert_error(client.get(f"{sessions_url(klass)}/{bad}"), 404, Messages.SESSION_NOT_FOUND)
    assert AttendanceRecord.objects.get(session=foreign).status == "present"


def test_another_teachers_session_is_forbidden_and_unchanged(auth, world):
    intruder = factories.make_teacher()
    url = record_url(world["klass"], world["finished"], world["ann"])

    assert_error(
        auth(intruder).get(f"{sessions_url(world['klass'])}/{world['finished'].pk}"),
        403,
        "Forbidden, not class teacher",
    )
    assert_error(patch(auth(intruder), url, {"status": "absent"}), 403, Messages.NOT_CLASS_TEACHER)
    assert_error(patch(auth(world["ann"]), url, {"status": "absent"}), 403, Messages.TEACHER_REQUIRED)
    assert AttendanceRecord.objects.get(session=world["finished"], student=world["ann"]).status == "present"
    assert not RecordChange.objects.exists()


# PATCH .../records/:studentId on a finished session: a correction ------------------------------


def test_a_correction_updates_the_record_the_counts_and_the_students_view(auth, world):
    klass, ann, finished = world["klass"], world["ann"], world["finished"]

    data = assert_ok(
        patch(auth(world["teacher"]), record_url(klass, finished, ann), {"status": "absent", "note": "Left at 9"})
    )

    assert (data["studentId"], data["status"], data["note"]) == (str(ann.pk), "absent", "Left at 9")
    assert [(c["from"], c["to"], c["note"]) for c in data["changes"]] == [("present", "absent", "Left at 9")]
    finished.refresh_from_db()
    assert selectors.session_counts(finished) == {"present": 0, "late": 1, "excused": 0, "absent": 1, "total": 2}
    listing = assert_ok(auth(world["teacher"]).get(sessions_url(klass)))
    assert (listing[0]["present"], listing[0]["absent"], listing[0]["total"]) == (0, 1, 2)
    mine = assert_ok(auth(ann).get(f"/class/{klass.pk}/my-attendance"))
    assert mine == {"classId": str(klass.pk), "status": "absent"}


def test_corrections_append_to_the_log_and_never_rewrite_it(auth, world):
    klass, ben, finished = world["klass"], world["ben"], world["finished"]
    client = auth(world["teacher"])
    url = record_url(klass, finished, ben)

    assert_ok(patch(client, url, {"status": "excused", "note": "Doctor"}))
    assert_ok(patch(client, url, {"status": "present"}))
    data = assert_ok(patch(client, url, {"status": "present", "note": ""}))

    assert [(c["from"], c["to"], c["note"]) for c in data["changes"]] == [
        ("late", "excused", "Doctor"),
        ("excused", "present", ""),
        ("present", "present", ""),
    ]
    assert data["note"] == ""  # the last PATCH cleared it; the log still says why it was excused
    first = RecordChange.objects.order_by("pk").first()
    first.note = "rewritten"
    with pytest.raises(ValueError):
        first.save()
    assert RecordChange.objects.order_by("pk").first().note == "Doctor"


def test_a_correction_without_a_note_keeps_the_records_note(auth, world):
    klass, ann, finished = world["klass"], world["ann"], world["finished"]
    client = auth(world["teacher"])
    assert_ok(patch(client, record_url(klass, finished, ann), {"status": "late", "note": "Train"}))

    data = assert_ok(patch(client, record_url(klass, finished, ann), {"status": "present"}))

    assert (data["status"], data["note"]) == ("present", "Train")


def test_a_student_who_was_never_in_the_session_has_no_record(auth, world):
    klass, finished = world["klass"], world["finished"]
    newcomer = factories.make_student()
    factories.make_class(teacher=factories.make_teacher(), students=[newcomer])
    klass.enrollments.create(student=newcomer)

    for student in (newcomer, "someid", "507f1f77bcf86cd799439011", world["teacher"].pk):
        response = patch(auth(world["teacher"]), record_url(klass, finished, student), {"status": "present"})
        assert_error(response, 404, Messages.RECORD_NOT_FOUND)
    assert AttendanceRecord.objects.filter(session=finished).count() == 2
    assert not RecordChange.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "tardy"}, "Invalid status"),
        ({"status": ""}, "Invalid status"),
        ({"status": "PRESENT"}, "Invalid status"),
        ({"status": "present", "note": "x" * 501}, "Note too long, at most 500 characters"),
        ({}, Messages.INVALID_SCHEMA),
        ({"status": 1}, Messages.INVALID_SCHEMA),
        ({"status": "present", "note": 5}, Messages.INVALID_SCHEMA),
        ({"status": "present", "note": None}, Messages.INVALID_SCHEMA),
        (["present"], Messages.INVALID_SCHEMA),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(auth, world, body, message):
    klass, ann, finished = world["klass"], world["ann"], world["finished"]

    assert_error(patch(auth(world["teacher"]), record_url(klass, finished, ann), body), 400, message)

    assert AttendanceRecord.objects.get(session=finished, student=ann).status == "present"
    assert not RecordChange.objects.exists()
    assert AttendanceSession.objects.get(pk=finished.pk).present_count == 1


def test_bad_input_is_a_400_before_the_class_is_looked_up(auth, world):
    response = patch(auth(world["teacher"]), "/class/someid/sessions/someid/records/someid", {"status": "tardy"})
    assert_error(response, 400, "Invalid status")


def test_a_note_of_exactly_500_characters_is_kept(auth, world):
    klass, ann, finished = world["klass"], world["ann"], world["finished"]
    note = "é" * 500

    data = assert_ok(
        patch(auth(world["teacher"]), record_url(klass, finished, ann), {"status": "excused", "note": note})
    )

    assert data["note"] == note
    assert AttendanceRecord.objects.get(session=finished, student=ann).note == note


# PATCH on a running session: a mark ------------------------------------------------------------


def test_on_a_running_session_the_patch_is_a_mark_without_a_log(auth, world):
    klass, ben = world["klass"], world["ben"]
    running = services.session_start(teacher=world["teacher"], klass=klass)

    data = assert_ok(patch(auth(world["teacher"]), record_url(klass, running, ben), {"status": "late", "note": "Bus"}))

    assert (data["status"], data["note"], data["changes"]) == ("late", "Bus", [])
    record = AttendanceRecord.objects.get(session=running, student=ben)
    assert (record.status, record.note, record.marked_by) == ("late", "Bus", world["teacher"])
    assert not RecordChange.objects.exists()


def test_on_a_running_session_only_enrolled_students_can_be_marked(auth, world):
    klass = world["klass"]
    running = services.session_start(teacher=world["teacher"], klass=klass)
    stranger = factories.make_student()

    response = patch(auth(world["teacher"]), record_url(klass, running, stranger), {"status": "present"})

    assert_error(response, 404, Messages.WS_STUDENT_NOT_ENROLLED)
    assert not AttendanceRecord.objects.filter(session=running).exists()


def test_detail_gives_a_finished_sessions_end_and_an_unmarked_students_empty_note(auth, world):
    klass, finished = world["klass"], world["finished"]
    running = services.session_start(teacher=world["teacher"], klass=klass)
    client = auth(world["teacher"])

    ended = assert_ok(client.get(f"{sessions_url(klass)}/{finished.pk}"))
    live = assert_ok(client.get(f"{sessions_url(klass)}/{running.pk}"))

    assert ended["endedAt"] == selectors.iso_millis(finished.ended_at)
    assert [(r["status"], r["note"]) for r in live["records"]] == [(None, ""), (None, "")]


def test_detail_lists_students_by_name_then_email(auth, world):
    klass = world["klass"]
    for email in ("zed@school.test", "abe@school.test"):
        klass.enrollments.create(student=factories.make_student(name="Ann Archer", email=email))
    running = services.session_start(teacher=world["teacher"], klass=klass)

    data = assert_ok(auth(world["teacher"]).get(f"{sessions_url(klass)}/{running.pk}"))

    names = [(r["name"], r["studentId"]) for r in data["records"]]
    abe, zed = (
        str(u.pk)
        for u in (klass.enrollments.get(student__email=e).student for e in ("abe@school.test", "zed@school.test"))
    )
    assert names == [
        ("Ann Archer", abe),
        ("Ann Archer", str(world["ann"].pk)),
        ("Ann Archer", zed),
        ("Ben Baker", str(world["ben"].pk)),
    ]


def test_a_correction_whose_author_was_deleted_shows_no_author(auth, world):
    klass, ben, finished = world["klass"], world["ben"], world["finished"]
    colleague = factories.make_teacher()
    services.record_correct(session=finished, student_id=str(ben.pk), status="excused", by=colleague)
    colleague.delete()

    data = assert_ok(auth(world["teacher"]).get(f"{sessions_url(klass)}/{finished.pk}"))

    [change] = data["records"][1]["changes"]
    assert (change["by"], change["from"], change["to"]) == (None, "late", "excused")


def test_changes_are_listed_in_the_order_they_were_made(auth, world):
    from datetime import timedelta

    klass, ben, finished = world["klass"], world["ben"], world["finished"]
    for status in ("excused", "absent"):
        services.record_correct(session=finished, student_id=str(ben.pk), status=status, by=klass.teacher)
    # The second one committed first but was made earlier (two corrections racing).
    first, second = RecordChange.objects.order_by("pk")
    RecordChange.objects.filter(pk=second.pk).update(at=first.at - timedelta(seconds=1))

    data = assert_ok(auth(world["teacher"]).get(f"{sessions_url(klass)}/{finished.pk}"))
    record = AttendanceRecord.objects.get(session=finished, student=ben)
    row = selectors.record_row(record=record)

    assert [c["to"] for c in data["records"][1]["changes"]] == ["absent", "excused"]
    assert [c.to_status for c in row.changes] == ["absent", "excused"]


def test_listing_keeps_the_counts_a_finished_session_stored(auth, world):
    klass = world["klass"]
    world["ben"].delete()  # the account goes, and its records with it; the session's result stays

    data = assert_ok(auth(world["teacher"]).get(sessions_url(klass)))

    [done] = data
    assert (done["present"], done["late"], done["absent"], done["total"]) == (1, 1, 0, 2)
    assert selectors.session_count(klass=klass) == 1
