"""Routes of the server-rendered site: `/` and everything under `/app/`."""

from django.urls import path

from accounts import account_page, reset_pages
from accounts import pages as account_pages
from pages import checkin as checkin_pages
from pages import classes as class_pages
from pages import enrollment as enrollment_pages
from pages import live as live_pages
from pages import manage as manage_pages
from pages import settings as settings_pages

urlpatterns = [
    path("", account_pages.login_page, name="login"),
    path("app", account_pages.app_root),
    path("app/signup/", account_pages.signup_page, name="signup"),
    path("app/logout/", account_pages.logout_page, name="logout"),
    path("app/password/reset/", reset_pages.ResetRequestView.as_view(), name="password-reset"),
    path("app/password/reset/sent/", reset_pages.ResetSentView.as_view(), name="password-reset-sent"),
    path("app/password/reset/done/", reset_pages.ResetCompleteView.as_view(), name="password-reset-complete"),
    path(
        "app/password/reset/<str:uidb64>/<str:token>/",
        reset_pages.ResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("app/account/", account_page.account_page, name="account"),
    path("app/account/name/", account_page.name_change, name="account-name"),
    path("app/account/email/", account_page.email_change, name="account-email"),
    path("app/account/password/", account_page.password_change, name="account-password"),
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
    path("app/classes/<str:class_id>/settings/", settings_pages.class_settings, name="class-settings"),
    path("app/join/", enrollment_pages.join_typed, name="join-typed"),
    path("join/<str:code>", enrollment_pages.join_link, name="join"),
    path("app/classes/<str:class_id>/export.csv", class_pages.export_csv, name="class-export"),
    path("app/classes/<str:class_id>/rename/", manage_pages.class_rename, name="class-rename"),
    path("app/classes/<str:class_id>/archive/", manage_pages.class_archive, name="class-archive"),
    path("app/classes/<str:class_id>/restore/", manage_pages.class_restore, name="class-restore"),
    path("app/classes/<str:class_id>/delete/", manage_pages.class_delete, name="class-delete"),
    path("app/archived/", manage_pages.archived_classes, name="archived-classes"),
    path("app/my-classes/", manage_pages.student_classes, name="student-classes"),
    path("app/my-classes/<str:class_id>/leave/", manage_pages.student_leave, name="student-leave"),
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
