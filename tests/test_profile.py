"""Traffic profiles (advisor.workload.profile): the presets as documented, and the hours of a
month at each load level that the cost integrates over."""

from __future__ import annotations

import pytest

from advisor.catalog.models import HOURS_PER_MONTH
from advisor.workload.models import Traffic
from advisor.workload.profile import PRESETS, levels, mean_share


def traffic(profile: object) -> Traffic:
    return Traffic.model_validate({"peak_rps": 10, "users": {"us-east": 1.0}, "profile": profile})


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_a_valid_profile_with_its_peak_at_one(name):
    weekday, weekend = traffic(name).week()
    assert len(weekday) == 24 and max(weekday) == 1.0 and weekday == weekend == PRESETS[name]


def test_no_profile_is_the_peak_around_the_clock():
    plain = Traffic.model_validate({"peak_rps": 10, "users": {"us-east": 1.0}})
    assert levels(*plain.week()) == [(1.0, pytest.approx(HOURS_PER_MONTH))]


def test_levels_add_up_to_a_month_and_weigh_weekdays_five_to_two():
    night_and_day = [0.25] * 12 + [1.0] * 12
    t = traffic({"weekday": night_and_day, "weekend": [0.25] * 23 + [1.0]})
    got = dict(levels(*t.week()))
    per_hour = HOURS_PER_MONTH / (7 * 24)
    assert got[1.0] == pytest.approx((5 * 12 + 2 * 1) * per_hour)
    assert got[0.25] == pytest.approx((5 * 12 + 2 * 23) * per_hour)
    assert sum(got.values()) == pytest.approx(HOURS_PER_MONTH)
    assert [share for share, _ in levels(*t.week())] == [1.0, 0.25]  # busiest first


def test_the_business_hours_preset_averages_about_half_its_peak():
    # 10 full hours, shoulders and a 0.1 night: the number the docs quote
    assert mean_share(*traffic("business-hours").week()) == pytest.approx(0.529, abs=0.001)
