"""The class settings form: time zone and attendance policy, saved together."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.pages import teacher_required
from attendance.policy import class_settings_update
from core.errors import ApplicationError
from pages.classes import ClassSettingsForm, class_page_response, owned_class


@require_POST
@teacher_required
def class_settings(request: HttpRequest, class_id: str) -> HttpResponse:
    """Save the class's time zone and policy; a bad value changes nothing and is shown on the form."""
    klass = owned_class(request, class_id)
    form = ClassSettingsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            class_settings_update(
                klass=klass,
                changes={
                    "time_zone": data["time_zone"],
                    "required_rate": data["required_rate"],
                    "late_credit": data["late_credit"],
                    "excused_left_out": data["excused_left_out"],
                },
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Saved the settings of {klass.class_name}.")
            return redirect(reverse("class-page", kwargs={"class_id": str(klass.pk)}) + "#class-settings")
    return class_page_response(request, klass, settings_form=form, status=400)
