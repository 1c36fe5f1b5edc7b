"""A student's standing in a class under its policy: the attendance rate and the absence budget.

With the counts of a student's finished sessions (present P, late L, excused E, absent A)
and the class's policy (a late counts for a fraction f of a session; excused sessions are
left out or count as missed; a required rate r):

- sessions counted N = P + L + A, plus E unless excused sessions are left out;
- sessions attended C = P + f·L (an excused session never counts as attended);
- rate = C / N.

How many more sessions can be missed: missing k more makes the rate C / (N + k), which
stays at or above r while k ≤ C/r - N, so the budget is ⌊C/r - N⌋ (0 when already below).
When below, attending m more sessions in a row makes it (C + m) / (N + m) ≥ r, so it takes
m = ⌈(r·N - C) / (1 - r)⌉ sessions; at r = 100% a missed session cannot be made up.
Exact fractions throughout: 4 of 5 against 80% is on the line, not below it.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from attendance.models import ClassPolicy, Status

# At risk: within this many absences of falling below the requirement.
AT_RISK_BUDGET = 1


class Level:
    """Where a student stands against the requirement."""

    OFF = "off"  # the class requires no rate
    OK = "ok"
    AT_RISK = "at_risk"  # one or two more absences would put them below
    BELOW = "below"


@dataclass(frozen=True)
class Standing:
    present: int = 0
    late: int = 0
    excused: int = 0
    absent: int = 0
    required_rate: int | None = None
    late_credit: int = 100
    excused_left_out: bool = False

    @classmethod
    def of(cls, counts: Mapping[str, int], policy: ClassPolicy | None) -> "Standing":
        """Build a standing from {status: sessions} and the class's policy (None: the defaults)."""
        policy = policy or ClassPolicy()
        return cls(
            present=counts.get(Status.PRESENT, 0),
            late=counts.get(Status.LATE, 0),
            excused=counts.get(Status.EXCUSED, 0),
            absent=counts.get(Status.ABSENT, 0),
            required_rate=policy.required_rate,
            late_credit=policy.late_credit,
            excused_left_out=policy.excused_left_out,
        )

    @classmethod
    def of_statuses(cls, statuses: Iterable[str], policy: ClassPolicy | None) -> "Standing":
        counts: dict[str, int] = {}
        for status in statuses:
            counts[status] = counts.get(status, 0) + 1
        return cls.of(counts, policy)

    @property
    def counted(self) -> int:
        """Sessions that count in the rate."""
        return self.present + self.late + self.absent + (0 if self.excused_left_out else self.excused)

    @property
    def credit(self) -> Fraction:
        """Sessions attended, a late counting for its fraction."""
        return self.present + Fraction(self.late * self.late_credit, 100)

    @property
    def attended(self) -> int | float:
        """Sessions attended, as a number to show (2, or 2.5 with half-counted lates)."""
        credit = self.credit
        return int(credit) if credit.denominator == 1 else round(float(credit), 2)

    @property
    def sessions(self) -> int:
        return self.counted

    @property
    def exact_rate(self) -> Fraction | None:
        return self.credit / self.counted if self.counted else None

    @property
    def rate(self) -> int | None:
        """The rate in whole percent: rounded, but rounded down when a rate is required.

        So that a student at 79.6% against 80% never reads "80%" beside "below 80%".
        """
        rate = self.exact_rate
        if rate is None:
            return None
        return math.floor(rate * 100) if self.required_rate else round(rate * 100)

    @property
    def rate_tenths(self) -> float | None:
        """The rate in percent, rounded down to a tenth (79.6), for the API."""
        rate = self.exact_rate
        return None if rate is None else math.floor(rate * 1000) / 10

    @property
    def required(self) -> Fraction | None:
        return Fraction(self.required_rate, 100) if self.required_rate else None

    @property
    def below(self) -> bool:
        required = self.required
        return required is not None and self.credit < required * self.counted

    @property
    def can_miss(self) -> int | None:
        """How many more sessions can be missed in a row with the rate staying at or above the requirement."""
        required = self.required
        if required is None:
            return None
        if self.below:
            return 0
        return math.floor(self.credit / required - self.counted)

    @property
    def to_recover(self) -> int | None:
        """Sessions to attend in a row to get back to the requirement: 0 when not below, None when impossible."""
        required = self.required
        if required is None or not self.below:
            return 0 if required is not None else None
        if required == 1:
            return None
        return math.ceil((required * self.counted - self.credit) / (1 - required))

    @property
    def level(self) -> str:
        if self.required is None:
            return Level.OFF
        if self.below:
            return Level.BELOW
        if self.counted and self.can_miss <= AT_RISK_BUDGET:
            return Level.AT_RISK
        return Level.OK


def standing_data(standing: Standing) -> dict:
    """Shape a standing for the API."""
    return {
        "requiredRate": standing.required_rate,
        "rate": standing.rate_tenths,
        "attended": standing.attended,
        "counted": standing.counted,
        "present": standing.present,
        "late": standing.late,
        "excused": standing.excused,
        "absent": standing.absent,
        "canMiss": standing.can_miss,
        "toRecover": standing.to_recover,
        "level": standing.level,
    }
