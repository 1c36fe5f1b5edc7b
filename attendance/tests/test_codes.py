"""Rotating check-in codes: six digits per period, the previous period's still accepted, compared in constant time."""

import hmac

import pytest

from attendance import codes

SECRET = "a" * 64


def test_a_code_is_six_digits_and_changes_with_the_period():
    seen = {codes.code_for(SECRET, period) for period in range(1000, 1050)}
    assert all(len(code) == 6 and code.isdigit() for code in seen)
    assert len(seen) > 45  # a different code nearly every period


def test_another_secret_gives_other_codes():
    other = "b" * 64
    same = [codes.code_for(SECRET, p) == codes.code_for(other, p) for p in range(1000, 1050)]
    assert sum(same) <= 1


def test_the_code_of_a_moment_is_the_code_of_its_period():
    assert codes.period_of(1000.0, 20) == 50
    assert codes.period_of(1019.999, 20) == 50
    assert codes.period_of(1020.0, 20) == 51


@pytest.mark.parametrize("typed", ["123456", "123 456", " 123-456 ", "12 34 56"])
def test_digits_may_be_grouped_when_typed(typed):
    assert codes.normalize(typed) == "123456"


@pytest.mark.parametrize("typed", ["12345", "1234567", "12345a", "", None, 123456, "١٢٣٤٥٦", "1" * 40])
def test_anything_but_six_digits_is_no_code(typed):
    assert codes.normalize(typed) is None


def test_the_current_code_is_valid():
    now = 1000.0 * 20 + 3
    match = codes.verify(SECRET, codes.code_for(SECRET, 1000), moment=now, rotate_seconds=20)
    assert match.valid and not match.previous


def test_the_previous_code_stays_valid_until_the_current_period_ends():
    code = codes.code_for(SECRET, 999)
    early = codes.verify(SECRET, code, moment=1000 * 20 + 1, rotate_seconds=20)
    last = codes.verify(SECRET, code, moment=1000 * 20 + 19.5, rotate_seconds=20)
    gone = codes.verify(SECRET, code, moment=1001 * 20, rotate_seconds=20)
    assert early.valid and early.previous and early.seconds_left == pytest.approx(19)
    assert last.valid and last.seconds_left == pytest.approx(0.5)
    assert not gone.valid


def test_the_next_periods_code_is_not_valid_yet():
    assert not codes.verify(SECRET, codes.code_for(SECRET, 1001), moment=1000 * 20, rotate_seconds=20).valid


def test_both_candidates_are_compared_in_constant_time_whatever_was_sent(monkeypatch):
    calls = []
    compare = hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return compare(a, b)

    monkeypatch.setattr(codes.hmac, "compare_digest", spy)
    for sent in (codes.code_for(SECRET, 1000), "000000", "nonsense", None):
        calls.clear()
        codes.verify(SECRET, sent, moment=1000 * 20, rotate_seconds=20)
        assert calls == [(6, 6), (6, 6)]
