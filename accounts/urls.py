from django.urls import path

from accounts import views

urlpatterns = [
    path("auth/signup", views.SignupView.as_view(), name="api-signup"),
    path("auth/login", views.LoginView.as_view(), name="api-login"),
    path("auth/refresh", views.RefreshView.as_view(), name="api-refresh"),
    path("auth/me", views.MeView.as_view(), name="api-me"),
    path("auth/password", views.PasswordView.as_view(), name="api-password"),
    path("auth/logout-all", views.LogoutAllView.as_view(), name="api-logout-all"),
]
