"""A class's attendance policy: read it (defaults when never set) and change it."""

from django.db import IntegrityError

from attendance.models import ClassPolicy
from classes.models import Class
from classes.services import class_time_zone_set
from core import timezones
from core.errors import ApplicationError, Messages
from core.transactions import run_atomic

NOT_SET = object()


def policy_of(*, klass: Class) -> ClassPolicy:
    """Return the class's policy, or an unsaved one with the defaults."""
    return ClassPolicy.objects.filter(klass=klass).first() or ClassPolicy(klass=klass)


def policies_of(*, classes: list[Class]) -> dict[object, ClassPolicy]:
    """Return {class key: policy} for several classes at once, defaults for those without one."""
    saved = {policy.klass_id: policy for policy in ClassPolicy.objects.filter(klass_id__in=[k.pk for k in classes])}
    return {klass.pk: saved.get(klass.pk) or ClassPolicy(klass=klass) for klass in classes}


def policy_update(
    *,
    klass: Class,
    required_rate: object = NOT_SET,
    late_credit: object = NOT_SET,
    excused_left_out: object = NOT_SET,
) -> ClassPolicy:
    """Change what is given, keep the rest; refuse values out of range with the contract's 400.

    `required_rate`: None (no requirement) or a whole percent 1-100. `late_credit`: a whole
    percent 0-100 of a present session. `excused_left_out`: a boolean.
    """
    changes: dict[str, object] = {}
    if required_rate is not NOT_SET:
        if required_rate is not None and not _percent(required_rate, low=1):
            raise ApplicationError(Messages.INVALID_SCHEMA, 400)
        changes["required_rate"] = required_rate
    if late_credit is not NOT_SET:
        if not _percent(late_credit, low=0):
            raise ApplicationError(Messages.INVALID_SCHEMA, 400)
        changes["late_credit"] = late_credit
    if excused_left_out is not NOT_SET:
        if not isinstance(excused_left_out, bool):
            raise ApplicationError(Messages.INVALID_SCHEMA, 400)
        changes["excused_left_out"] = excused_left_out

    def write() -> ClassPolicy:
        policy = policy_of(klass=klass)
        for name, value in changes.items():
            setattr(policy, name, value)
        policy.save()
        return policy

    try:
        return run_atomic(write)
    except IntegrityError:
        return run_atomic(write)  # a concurrent first change created the row: change that one


def _percent(value: object, *, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= 100


def policy_data(*, klass: Class, policy: ClassPolicy) -> dict:
    """Shape a class's policy (and its time zone) for the API."""
    return {
        "classId": str(klass.pk),
        "requiredRate": policy.required_rate,
        "lateCountsAs": policy.late_credit / 100,
        "excusedLeftOut": policy.excused_left_out,
        "timeZone": klass.time_zone,
    }


def parse_policy_body(body: object) -> dict[str, object]:
    """Return the policy fields a PATCH body sets, strictly typed; anything else is the contract's 400.

    JSON numbers only (no "80" strings, no booleans), `lateCountsAs` a fraction 0-1 kept to
    whole percent, `requiredRate` a whole percent or null.
    """
    if not isinstance(body, dict):
        raise ApplicationError(Messages.INVALID_SCHEMA, 400)
    changes: dict[str, object] = {}
    if "requiredRate" in body:
        value = body["requiredRate"]
        if value is not None and not _percent(value, low=1):
            raise ApplicationError(Messages.INVALID_SCHEMA, 400)
        changes["required_rate"] = value
    if "lateCountsAs" in body:
        value = body["lateCountsAs"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ApplicationError(Messages.INVALID_SCHEMA, 400)
        changes["late_credit"] = round(value * 100)
    if "excusedLeftOut" in body:
        if not isinstance(body["excusedLeftOut"], bool):
            raise ApplicationError(Messages.INVALID_SCHEMA, 400)
        changes["excused_left_out"] = body["excusedLeftOut"]
    if "timeZone" in body:
        if not isinstance(body["timeZone"], str):
            raise ApplicationError(Messages.INVALID_SCHEMA, 400)
        changes["time_zone"] = body["timeZone"]
    return changes


def class_settings_update(*, klass: Class, changes: dict[str, object]) -> ClassPolicy:
    """Apply a policy change and a time zone change together: all checked before anything is written."""
    time_zone = changes.pop("time_zone", None)
    if time_zone is not None and not timezones.is_zone(time_zone):
        raise ApplicationError(Messages.INVALID_TIME_ZONE, 400)
    policy = policy_update(klass=klass, **changes) if changes else policy_of(klass=klass)
    if time_zone is not None:
        class_time_zone_set(klass=klass, time_zone=time_zone)
    return policy
