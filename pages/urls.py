"""Routes of the server-rendered site: `/` and everything under `/app/`."""

from django.urls import path

from accounts import pages as account_pages
from pages import classes as class_pages
from pages import enrollment as enrollment_pages
from pages import live as live_pages

urlpatterns = [
    path("", account_pages.login_page, name="login"),
    path("app", account_pages.app_root),
    path("app/signup/", account_pages.signup_page, name="signup"),
    path("app/logout/", account_pages.logout_page, name="logout"),
    path("app/", class_pages.dashboard, name="dashboard"),
    path("app/classes/<str:class_id>/", class_pages.class_page, name="class-page"),
    path("app/classes/<str:class_id>/students/add/", class_pages.student_add, name="class-student-add"),
    path(
        "app/classes/<str:class_id>/students/<str:student_id>/remove/",
        class_pages.student_remove,
        name="class-student-remove",
    ),
    path("app/classes/<str:class_id>/join-code/", enrollment_pages.join_code_change, name="class-join-code"),
    path("app/classes/<str:class_id>/roster-import/", enrollment_pages.roster_import, name="class-roster-import"),
    path("app/classes/<str:class_id>/time-zone/", enrollment_pages.time_zone_change, name="class-time-zone"),
    path("app/join/", enrollment_pages.join_typed, name="join-typed"),
    path("join/<str:code>", enrollment_pages.join_link, name="join"),
    path("app/classes/<str:class_id>/export.csv", class_pages.export_csv, name="class-export"),
    path("app/classes/<str:class_id>/start/", live_pages.session_start, name="session-start"),
    path("app/classes/<str:class_id>/live/", live_pages.teacher_live, name="session-live"),
    path("app/live/", live_pages.student_live, name="student-live"),
    path("app/history/", live_pages.student_history, name="student-history"),
]
