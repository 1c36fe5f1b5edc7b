"""Time zones by their IANA names: which exist, and a moment's local time in one of them."""

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Return every IANA zone name a teacher can pick (Region/City, and UTC), sorted."""
    names = {name for name in available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/"))}
    return tuple(sorted(names | {"UTC"}))


def is_zone(name: object) -> bool:
    """Tell whether `name` is an IANA zone name this server knows."""
    return isinstance(name, str) and name in zone_names()


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """Return the zone for a name, UTC for a name the server no longer knows."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(moment: datetime, name: str) -> datetime:
    """Return an aware moment as wall-clock time in the named zone."""
    return moment.astimezone(zone(name))


def local_iso(moment: datetime, name: str) -> str:
    """Format a moment as local ISO-8601 with its UTC offset, to the second (`2025-03-11T11:00:00+01:00`)."""
    return local(moment, name).replace(microsecond=0).isoformat()
