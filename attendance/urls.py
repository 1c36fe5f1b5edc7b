from django.urls import path

from attendance import views

urlpatterns = [
    path("attendance/start", views.StartView.as_view(), name="api-attendance-start"),
    path("class/<str:class_id>/my-attendance", views.MyAttendanceView.as_view(), name="api-my-attendance"),
    path("class/<str:class_id>/policy", views.PolicyView.as_view(), name="api-class-policy"),
]
