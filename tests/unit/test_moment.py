"""moment.js date formats (the typed ``date`` value with a format), checked against what
moment 2.x in Node-RED 5 printed for the same instants (TZ=UTC)."""
from __future__ import annotations

from datetime import datetime, timezone

from flowred.moment import format_moment
from flowred.typed import evaluate_value


def test_formats_as_moment_printed_them():
    t = datetime(2026, 12, 3, 16, 5, 9, 123456, tzinfo=timezone.utc)
    assert format_moment("YYYY-MM-DD HH:mm:ss.SSS Z [at] dddd Do MMM, h:mm a X x Q W w DDDD LLLL", t) == \
        "2026-12-03 16:05:09.123 +00:00 at Thursday 3rd Dec, 4:05 pm 1796313909 1796313909123 4 49 49 337 " \
        "Thursday, December 3, 2026 4:05 PM"
    t = datetime(2027, 1, 1, tzinfo=timezone.utc)
    assert format_moment("w ww W k kk E e d dd Mo DDD YY S SS ZZ", t) == "1 01 53 24 24 5 5 5 Fr 1st 1 27 0 00 +0000"


def test_typed_date_with_a_format_is_the_local_time_formatted():
    year = datetime.now().astimezone().year
    assert evaluate_value("YYYY", "date", None, {}) in (str(year), str(year + 1))
