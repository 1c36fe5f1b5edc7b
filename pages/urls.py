"""Routes of the server-rendered site: `/` and everything under `/app/`."""

from django.urls import path

from accounts import pages as account_pages
from pages import checkin as checkin_pages
from pages import classes as class_pages
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
    path("app/classes/<str:class_id>/export.csv", class_pages.export_csv, name="class-export"),
    path("app/classes/<str:class_id>/start/", live_pages.session_start, name="session-start"),
    path("app/classes/<str:class_id>/live/", live_pages.teacher_live, name="session-live"),
    path("app/classes/<str:class_id>/check-in/", checkin_pages.projector, name="checkin-projector"),
    path("app/classes/<str:class_id>/check-in/code/", checkin_pages.projector_code, name="checkin-code"),
    path("app/classes/<str:class_id>/check-in/open/", checkin_pages.checkin_open, name="checkin-open"),
    path("app/classes/<str:class_id>/check-in/close/", checkin_pages.checkin_close, name="checkin-close"),
    path("app/live/", live_pages.student_live, name="student-live"),
    path("app/check-in/", checkin_pages.student_checkin, name="student-checkin"),
    path("app/claim/", checkin_pages.student_claim, name="student-claim"),
    path("app/history/", live_pages.student_history, name="student-history"),
]
