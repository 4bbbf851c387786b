"""Traffic over the day: the load of each hour as a share of the peak, and how many hours of a
month the load spends at each level (the load-duration curve the cost integrates over).

A profile is written as a preset name, as 24 numbers (hour 0 to 23, the same every day), or as
`{weekday: ..., weekend: ...}` with either form for each. Hours are in the time zone the
workload's owner reads its traffic in (UTC unless they say otherwise); only the shape matters
to cost, not where the peak falls in the day.
"""

from __future__ import annotations

from advisor.catalog.models import HOURS_PER_MONTH

HOURS_PER_DAY = 24
WEEKDAYS, WEEKEND_DAYS = 5, 2

PRESETS: dict[str, tuple[float, ...]] = {
    # The same load all day: the profile of a service sized for its peak around the clock.
    "flat": (1.0,) * 24,
    # Office traffic: quiet nights, a ramp from 07:00, full load 08:00-17:59, an evening tail.
    "business-hours": (0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.4, 1.0, 1.0, 1.0, 1.0,
                       1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.3, 0.3, 0.15, 0.15, 0.1),
    # Consumer apps: lowest before dawn, a daytime plateau, the peak from 19:00 to 22:59.
    "consumer-evening": (0.35, 0.25, 0.2, 0.2, 0.2, 0.25, 0.3, 0.4, 0.5, 0.55, 0.6, 0.6,
                         0.65, 0.65, 0.6, 0.6, 0.65, 0.7, 0.85, 1.0, 1.0, 1.0, 1.0, 0.6),
}
"""Named shapes (share of peak per hour, 00:00 first). They are typical shapes, not measurements
of any service: give 24 numbers of your own where you have them."""


def shares(day: str | list[float] | tuple[float, ...]) -> tuple[float, ...]:
    """A day's 24 shares of peak: a preset's, or the numbers given (validated by the model)."""
    return PRESETS[day] if isinstance(day, str) else tuple(float(x) for x in day)


def levels(weekday: tuple[float, ...], weekend: tuple[float, ...]) -> list[tuple[float, float]]:
    """The load-duration curve: (share of peak, hours a month at it), highest share first,
    equal shares merged; the hours add up to the 730 hours of a month."""
    per_hour = HOURS_PER_MONTH / (7 * HOURS_PER_DAY)  # month hours per hour-of-week
    hours: dict[float, float] = {}
    for day, days in ((weekday, WEEKDAYS), (weekend, WEEKEND_DAYS)):
        for share in day:
            hours[share] = hours.get(share, 0.0) + days * per_hour
    return sorted(hours.items(), key=lambda item: -item[0])


def mean_share(weekday: tuple[float, ...], weekend: tuple[float, ...]) -> float:
    """The average load as a share of peak: what capacity sized for the peak is used for."""
    return sum(share * hours for share, hours in levels(weekday, weekend)) / HOURS_PER_MONTH
