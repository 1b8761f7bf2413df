"""Task 2: parse_time(spec) -> seconds, compared with the reference."""

import pytest
from conftest import call, raises_value_error

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_time")


def check(sub, ref, specs, message):
    for spec in specs:
        got = call(sub.parse_time, spec, what="parse_time")
        expect.true(
            isinstance(got, int) and not isinstance(got, bool), "parse_time must return an int"
        )
        expect.true(got == ref.parse_time(spec), f"parse_time: {message} (e.g. {spec!r})")


@pytest.mark.points(1)
@pytest.mark.visible
def test_without_days(sub, ref):
    """minutes, minutes:seconds, hours:minutes:seconds."""
    check(sub, ref, ["45", "0", "7"], "a single number is minutes")
    check(
        sub,
        ref,
        ["30:00", "5:07", "90:30", "0:59"],
        "two fields are minutes:seconds, not hours:minutes",
    )
    check(
        sub,
        ref,
        ["1:30:00", "0:20:05", "12:00:01", " 2:00:00 "],
        "three fields are hours:minutes:seconds",
    )


@pytest.mark.points(1)
def test_with_days(sub, ref):
    """days-hours, days-hours:minutes, days-hours:minutes:seconds."""
    check(sub, ref, ["2-0", "1-5", "0-12"], "days-hours is wrong")
    check(sub, ref, ["1-12:30", "3-0:45"], "days-hours:minutes is wrong")
    check(sub, ref, ["1-02:03:04", "0-0:0:9"], "days-hours:minutes:seconds is wrong")


@pytest.mark.points(1)
def test_invalid(sub):
    """Malformed limits raise ValueError."""
    for spec in [
        "",
        "abc",
        "1:2:3:4",
        "1-2:3:4:5",
        "-5",
        "1h",
        "UNLIMITED",
        "1:",
        "1--2",
        "2-",
        "1:-3",
    ]:
        raises_value_error(sub.parse_time, spec, what=f"parse_time({spec!r})")
