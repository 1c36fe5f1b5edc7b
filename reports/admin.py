import csv

from django.contrib import admin, messages
from django.http import HttpResponse

from attendance import services
from attendance.models import AttendanceRecord, AttendanceSession, ClassPolicy
from core.errors import ApplicationError
from reports import history


class RecordInline(admin.TabularInline):
    model = AttendanceRecord
    extra = 0
    fields = ["student", "status", "marked_at", "marked_by"]
    autocomplete_fields = ["student"]
    readonly_fields = ["marked_at", "marked_by"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None or obj.is_active

    def has_add_permission(self, request, obj=None) -> bool:
        return obj is not None and obj.is_active

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is not None and obj.is_active


@admin.action(description="Export the selected sessions' records as CSV")
def export_csv(modeladmin, request, queryset) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="attendance.csv"'
    csv.writer(response).writerows(history.records_csv_rows(sessions=list(queryset)))
    return response


@admin.action(description="Finish the selected running sessions (unmarked students become absent)")
def finish_sessions(modeladmin, request, queryset) -> None:
    finished = 0
    for session in queryset.filter(is_active=True):
        try:
            services.session_finish(session=session)
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{session}: {exc.message}", messages.ERROR)
            continue
        finished += 1
    modeladmin.message_user(request, f"Finished {finished} session{'s' if finished != 1 else ''}.")


@admin.register(AttendanceSession)
class AttendanceSessionAdmin(admin.ModelAdmin):
    list_display = [
        "klass",
        "started_at",
        "ended_at",
        "is_active",
        "present_count",
        "late_count",
        "excused_count",
        "absent_count",
        "total_count",
    ]
    list_filter = ["is_active", "klass", "started_at"]
    date_hierarchy = "started_at"
    inlines = [RecordInline]
    actions = [export_csv, finish_sessions]

    def has_add_permission(self, request) -> bool:
        # Sessions start from the class page or the API, where the one-per-class rule lives.
        return False

    def get_readonly_fields(self, request, obj=None):
        # A session changes only through its services; while it runs, its records may be corrected.
        return [field.name for field in AttendanceSession._meta.fields]


@admin.register(ClassPolicy)
class ClassPolicyAdmin(admin.ModelAdmin):
    """Each class's attendance rules (a class without one has the defaults)."""

    list_display = ["klass", "required_rate", "late_credit", "excused_left_out", "updated_at"]
    list_filter = ["excused_left_out"]
    search_fields = ["klass__class_name"]
    autocomplete_fields = ["klass"]
    readonly_fields = ["updated_at"]
