"""The absence budget: how many more sessions a student can miss, and what it takes to get back."""

import pytest

from attendance.models import ClassPolicy
from reports.standing import Level, Standing


def standing(required=None, late_credit=100, excused_left_out=False, **counts) -> Standing:
    policy = ClassPolicy(required_rate=required, late_credit=late_credit, excused_left_out=excused_left_out)
    return Standing.of(counts, policy)


@pytest.mark.parametrize(
    ("present", "absent", "can_miss"),
    [
        (8, 0, 2),  # 8/10 = 80%, 8/11 would be 72.7%
        (9, 1, 1),  # 9/11 = 81.8%, 9/12 = 75%
        (4, 1, 0),  # 4/5 is exactly 80%: at the line, one more absence drops it
        (10, 0, 2),  # 10/12 = 83.3%, 10/13 = 76.9%
        (40, 0, 10),  # 40/50 = 80%
    ],
)
def test_how_many_more_sessions_can_be_missed_at_80_percent(present, absent, can_miss):
    result = standing(required=80, present=present, absent=absent)

    assert result.can_miss == can_miss
    assert not result.below
    # Missing exactly that many keeps the requirement; one more breaks it.
    assert not standing(required=80, present=present, absent=absent + can_miss).below
    assert standing(required=80, present=present, absent=absent + can_miss + 1).below


def test_below_the_requirement_says_how_many_sessions_in_a_row_bring_it_back():
    result = standing(required=80, present=6, absent=4)  # 60%

    assert result.below and result.level == Level.BELOW
    assert result.can_miss == 0
    assert result.to_recover == 10  # (6+10)/(10+10) = 80%
    assert not standing(required=80, present=16, absent=4).below
    assert standing(required=80, present=15, absent=4).below


def test_at_100_percent_a_missed_session_cannot_be_made_up():
    assert standing(required=100, present=5, absent=1).to_recover is None
    perfect = standing(required=100, present=5)
    assert (perfect.can_miss, perfect.to_recover, perfect.level) == (0, 0, Level.AT_RISK)


def test_late_counts_as_present_or_as_its_fraction():
    as_present = standing(required=80, present=6, late=2, absent=2)
    assert (as_present.attended, as_present.rate, as_present.below) == (8, 80, False)

    half = standing(required=80, late_credit=50, present=6, late=2, absent=2)
    assert (half.attended, half.counted, half.rate, half.below) == (7, 10, 70, True)
    assert half.to_recover == 5  # (7+5)/(10+5) = 80%

    quarter = standing(late_credit=25, present=1, late=1)
    assert quarter.attended == 1.25 and quarter.rate == 62  # 1.25/2 = 62.5%, rounded half to even


def test_excused_sessions_count_as_missed_or_are_left_out():
    counted = standing(required=75, present=3, excused=1)
    assert (counted.counted, counted.rate, counted.below, counted.can_miss) == (4, 75, False, 0)

    left_out = standing(required=75, excused_left_out=True, present=3, excused=1)
    assert (left_out.counted, left_out.rate, left_out.can_miss) == (3, 100, 1)


def test_without_a_requirement_there_is_no_budget_and_no_flag():
    result = standing(present=1, absent=9)
    assert (result.can_miss, result.to_recover, result.level, result.rate) == (None, None, Level.OFF, 10)


def test_before_any_session_nothing_is_flagged():
    result = standing(required=80)
    assert (result.rate, result.can_miss, result.below, result.level) == (None, 0, False, Level.OK)


def test_the_shown_rate_never_reaches_a_requirement_it_is_below():
    result = standing(required=80, present=199, absent=51)  # 79.6%
    assert result.below
    assert result.rate == 79 and result.rate_tenths == 79.6
    assert standing(present=199, absent=51).rate == 80  # no requirement: rounded as before


def test_at_risk_means_one_more_absence_at_most_before_falling_below():
    assert standing(required=80, present=9, absent=1).level == Level.AT_RISK  # can miss 1
    assert standing(required=80, present=10, absent=0).level == Level.OK  # can miss 2
