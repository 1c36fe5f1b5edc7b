from django.contrib import admin

from classes.models import Class, Enrollment


class EnrollmentInline(admin.TabularInline):
    """The roster, editable on the class page."""

    model = Enrollment
    extra = 1
    autocomplete_fields = ["student"]
    readonly_fields = ["added_at"]


@admin.register(Class)
class ClassAdmin(admin.ModelAdmin):
    list_display = ["class_name", "teacher", "roster_size", "created_at"]
    search_fields = ["class_name"]
    list_filter = ["teacher"]
    autocomplete_fields = ["teacher"]
    inlines = [EnrollmentInline]

    @admin.display(description="students")
    def roster_size(self, klass: Class) -> int:
        return klass.enrollments.count()
