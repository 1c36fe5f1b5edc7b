from django.urls import path

from reports import views

urlpatterns = [
    path("class/<str:class_id>/my-standing", views.MyStandingView.as_view(), name="api-my-standing"),
    path("class/<str:class_id>/standing", views.ClassStandingView.as_view(), name="api-class-standing"),
]
