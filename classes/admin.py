from django import forms
from django.contrib import admin, messages

from classes import events, services
from classes.models import Class, Enrollment, default_time_zone
from core import timezones
from core.errors import ApplicationError


class ClassAdminForm(forms.ModelForm):
    """The class form, its time zone picked from the zones the server knows (blank: unchanged)."""

    time_zone = forms.ChoiceField(required=False)

    class Meta:
        model = Class
        fields = ["class_name", "teacher", "time_zone"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", "---------")] + [(name, name) for name in timezones.zone_names()]
        self.fields["time_zone"].help_text = Class._meta.get_field("time_zone").help_text

    def clean_time_zone(self) -> str:
        return self.cleaned_data["time_zone"] or self.instance.time_zone or default_time_zone()


class EnrollmentInline(admin.TabularInline):
    """The roster, editable on the class page."""

    model = Enrollment
    extra = 1
    autocomplete_fields = ["student"]
    readonly_fields = ["added_at"]


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("yes", "Archived"), ("no", "In use")]

    def queryset(self, request, queryset):
        if self.value() in {"yes", "no"}:
            return queryset.filter(archived_at__isnull=self.value() == "no")
        return queryset


@admin.action(description="Archive the selected classes (not while their session runs)")
def archive_classes(modeladmin, request, queryset) -> None:
    _each(modeladmin, request, queryset, services.class_archive, "Archived")


@admin.action(description="Restore the selected archived classes")
def restore_classes(modeladmin, request, queryset) -> None:
    _each(modeladmin, request, queryset, services.class_restore, "Restored")


def _each(modeladmin, request, queryset, service, done: str) -> None:
    count = 0
    for klass in queryset:
        try:
            service(klass=klass)
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{klass}: {exc.message}", messages.ERROR)
        else:
            count += 1
    if count:
        modeladmin.message_user(request, f"{done} {count} class{'es' if count != 1 else ''}.", messages.SUCCESS)


@admin.register(Class)
class ClassAdmin(admin.ModelAdmin):
    """Classes; deleting one goes through the same service (and refusals) as the site and the API."""

    form = ClassAdminForm
    list_display = ["class_name", "teacher", "roster_size", "time_zone", "created_at", "archived_at"]
    search_fields = ["class_name"]
    list_filter = [ArchivedFilter, "teacher"]
    autocomplete_fields = ["teacher"]
    readonly_fields = ["join_code_shown", "archived_at"]
    inlines = [EnrollmentInline]
    actions = [archive_classes, restore_classes]

    @admin.display(description="students")
    def roster_size(self, klass: Class) -> int:
        return klass.enrollments.count()

    @admin.display(description="join code")
    def join_code_shown(self, klass: Class) -> str:
        code = getattr(klass, "join_code", None)
        return code.code if code else "off"

    def has_delete_permission(self, request, obj: Class | None = None) -> bool:
        if obj is not None:
            try:
                events.check_change_allowed(klass=obj, action=events.DELETE)
            except ApplicationError:
                return False  # a running session: finish it first
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj: Class) -> None:
        services.class_delete(klass=obj)

    def delete_queryset(self, request, queryset) -> None:
        # Each class through the service: a class whose session runs stays, with a message.
        for klass in queryset:
            try:
                services.class_delete(klass=klass)
            except ApplicationError as exc:
                self.message_user(request, f"{klass} was not deleted: {exc.message}", messages.ERROR)
