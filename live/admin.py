import csv

from django.contrib import admin
from django.http import HttpResponse

from live.models import AttendanceRecord, AttendanceSession


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
    writer = csv.writer(response)
    writer.writerow(
        [
            "class",
            "session_started_at",
            "session_ended_at",
            "student_name",
            "student_email",
            "status",
            "marked_at",
        ]
    )
    session_ids = list(queryset.values_list("pk", flat=True))
    records = AttendanceRecord.objects.filter(session_id__in=session_ids).select_related(
        "session", "session__klass", "student"
    )
    for record in records.order_by("session__started_at", "student__name"):
        session = record.session
        writer.writerow(
            [
                session.klass.class_name,
                session.started_at.isoformat(),
                session.ended_at.isoformat() if session.ended_at else "",
                record.student.name,
                record.student.email,
                record.status,
                record.marked_at.isoformat(),
            ]
        )
    return response


@admin.register(AttendanceSession)
class AttendanceSessionAdmin(admin.ModelAdmin):
    list_display = [
        "klass",
        "started_at",
        "ended_at",
        "is_active",
        "present_count",
        "absent_count",
        "total_count",
    ]
    list_filter = ["is_active", "klass", "started_at"]
    date_hierarchy = "started_at"
    inlines = [RecordInline]
    actions = [export_csv]
    readonly_fields = ["version", "present_count", "absent_count", "total_count", "finished_automatically"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_active:
            return [field.name for field in obj._meta.fields]
        return self.readonly_fields
