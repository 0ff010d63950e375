"""How a class's time reads on a page: in the venue's zone, with the zone named by its city
("09:00 Dublin time"), so a class in Dublin reads the same to a reader in Hangzhou."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_date, format_time, get_timezone_location

from courses.models import ClassSession


def _babel(locale: str | None) -> str:
    return (locale or "en").replace("-", "_")


def city(zone_name: str, locale: str | None = "en") -> str:
    """The zone's city as the reader says it: Dublin, 都柏林."""
    return get_timezone_location(ZoneInfo(zone_name), locale=_babel(locale), return_city=True)


def class_time(session: ClassSession, locale: str | None = "en") -> dict[str, str]:
    """Date, start, end (24-hour clock) and deadline in the venue's zone, and its city."""
    zone, lang = ZoneInfo(session.timezone), _babel(locale)
    start, end = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
    deadline = session.signup_deadline.astimezone(zone)
    return {"date": format_date(start.date(), "full", locale=lang),
            "short_date": format_date(start.date(), "medium", locale=lang),
            "start": format_time(start.time(), "HH:mm", locale=lang),
            "end": format_time(end.time(), "HH:mm", locale=lang),
            "city": city(session.timezone, locale),
            "deadline": format_date(deadline.date(), "full", locale=lang),
            "deadline_time": format_time(deadline.time(), "HH:mm", locale=lang),
            "iso_start": start.isoformat()}


def local(moment: datetime, zone_name: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone_name))


def ordinal(number: int, locale: str | None = "en") -> str:
    """1st, 2nd, 3rd, 4th ... in English; 第2位 in Chinese."""
    if _babel(locale).startswith("zh"):
        return f"第{number}位"
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def zone_names() -> list[str]:
    """The IANA zones a trainer may choose: region/city names and UTC, without the
    deprecated aliases (US/Eastern, Etc/GMT+8 ...) that read ambiguously."""
    skip = ("Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/")
    return sorted(name for name in available_timezones()
                  if ("/" in name and not name.startswith(skip)) or name == "UTC")
