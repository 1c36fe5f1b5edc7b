from django.urls import path

from attendance import views

urlpatterns = [
    path("attendance/start", views.StartView.as_view(), name="api-attendance-start"),
    path("attendance/check-in/open", views.CheckInOpenView.as_view(), name="api-checkin-open"),
    path("attendance/check-in/close", views.CheckInCloseView.as_view(), name="api-checkin-close"),
    path("attendance/check-in", views.CheckInView.as_view(), name="api-checkin"),
    path("attendance/claim", views.ClaimView.as_view(), name="api-claim"),
    path("class/<str:class_id>/check-in/code", views.CheckInCodeView.as_view(), name="api-checkin-code"),
    path("class/<str:class_id>/my-attendance", views.MyAttendanceView.as_view(), name="api-my-attendance"),
    path("class/<str:class_id>/policy", views.PolicyView.as_view(), name="api-class-policy"),
]
