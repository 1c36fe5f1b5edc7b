from django import forms
from django.contrib import admin

from classes.models import Class, Enrollment, default_time_zone
from core import timezones


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


@admin.register(Class)
class ClassAdmin(admin.ModelAdmin):
    form = ClassAdminForm
    list_display = ["class_name", "teacher", "roster_size", "time_zone", "created_at"]
    readonly_fields = ["join_code_shown"]
    search_fields = ["class_name"]
    list_filter = ["teacher"]
    autocomplete_fields = ["teacher"]
    inlines = [EnrollmentInline]

    @admin.display(description="students")
    def roster_size(self, klass: Class) -> int:
        return klass.enrollments.count()

    @admin.display(description="join code")
    def join_code_shown(self, klass: Class) -> str:
        code = getattr(klass, "join_code", None)
        return code.code if code else "off"
