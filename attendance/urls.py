from django.urls import path

from attendance import views

urlpatterns = [
    path("attendance/start", views.StartView.as_view(), name="api-attendance-start"),
    path("class/<str:class_id>/my-attendance", views.MyAttendanceView.as_view(), name="api-my-attendance"),
    path("class/<str:class_id>/sessions", views.SessionListView.as_view(), name="api-class-sessions"),
    path(
        "class/<str:class_id>/sessions/<str:session_id>",
        views.SessionDetailView.as_view(),
        name="api-class-session",
    ),
    path(
        "class/<str:class_id>/sessions/<str:session_id>/records/<str:student_id>",
        views.RecordView.as_view(),
        name="api-session-record",
    ),
]
