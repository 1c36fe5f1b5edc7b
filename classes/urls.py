from django.urls import path

from classes import views

urlpatterns = [
    path("class", views.ClassCreateView.as_view(), name="api-class-create"),
    # Before class/<id>: "join" is not a class id.
    path("class/join", views.JoinView.as_view(), name="api-class-join"),
    path("class/<str:class_id>", views.ClassDetailView.as_view(), name="api-class-detail"),
    path("class/<str:class_id>/add-student", views.AddStudentView.as_view(), name="api-class-add-student"),
    path("class/<str:class_id>/join-code", views.JoinCodeView.as_view(), name="api-class-join-code"),
    path("class/<str:class_id>/roster-import", views.RosterImportView.as_view(), name="api-class-roster-import"),
    path("class/<str:class_id>/archive", views.ClassArchiveView.as_view(), name="api-class-archive"),
    path("class/<str:class_id>/restore", views.ClassArchiveView.as_view(archive=False), name="api-class-restore"),
    path("class/<str:class_id>/leave", views.ClassLeaveView.as_view(), name="api-class-leave"),
    path("students", views.StudentListView.as_view(), name="api-students"),
]
