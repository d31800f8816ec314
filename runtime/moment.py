"""``moment().format(pattern)``: the date formats of Node-RED's typed ``date`` values (the
inject node's timestamp with a format), local time, English names, as moment.js 2.x.

Tokens: ``YYYY YY Q M MM MMM MMMM Mo D DD Do DDD DDDD d dd ddd dddd E e W WW w ww H HH h hh k kk
m mm s ss S SS SSS A a Z ZZ X x`` and the English locale's ``LT LTS L LL LLL LLLL``; ``[text]``
is literal; anything else is copied.
"""
from __future__ import annotations

import re
from datetime import datetime

__all__ = ["format_moment"]

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
LOCALE = {"LTS": "h:mm:ss A", "LT": "h:mm A", "LLLL": "dddd, MMMM D, YYYY h:mm A",
          "LLL": "MMMM D, YYYY h:mm A", "LL": "MMMM D, YYYY", "L": "MM/DD/YYYY"}
TOKEN = re.compile(r"\[[^\[\]]*\]|LTS|LT|L{1,4}|Mo|M{1,4}|Do|DDDD|DDD|DD|D|dddd|ddd|dd|d|E|e|WW|W|ww|w|Q"
                   r"|YYYY|YY|A|a|HH|H|hh|h|kk|k|mm|m|ss|s|S{1,3}|ZZ|Z|X|x")


def _ordinal(n: int) -> str:
    if 11 <= n % 100 <= 13:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def _offset(t: datetime, sep: str) -> str:
    minutes = int(t.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}{sep}{minutes % 60:02d}"


def _week_of_year(t: datetime) -> int:
    """The US locale week (weeks start on Sunday, the week with Jan 1 is week 1), as moment's ``w``."""
    jan1 = t.replace(month=1, day=1)
    start = (jan1.weekday() + 1) % 7  # Sunday = 0
    return (t.timetuple().tm_yday + start - 1) // 7 + 1


def _token(tok: str, t: datetime) -> str:
    if tok.startswith("["):
        return tok[1:-1]
    if tok in LOCALE:
        return format_moment(LOCALE[tok], t)
    dow = (t.weekday() + 1) % 7  # Sunday = 0
    h12 = t.hour % 12 or 12
    values = {
        "YYYY": f"{t.year:04d}", "YY": f"{t.year % 100:02d}", "Q": str((t.month - 1) // 3 + 1),
        "M": str(t.month), "MM": f"{t.month:02d}", "MMM": MONTHS[t.month - 1][:3], "MMMM": MONTHS[t.month - 1],
        "Mo": _ordinal(t.month), "D": str(t.day), "DD": f"{t.day:02d}", "Do": _ordinal(t.day),
        "DDD": str(t.timetuple().tm_yday), "DDDD": f"{t.timetuple().tm_yday:03d}",
        "d": str(dow), "dd": DAYS[dow][:2], "ddd": DAYS[dow][:3], "dddd": DAYS[dow],
        "E": str(t.isoweekday()), "e": str(dow), "W": str(t.isocalendar()[1]), "WW": f"{t.isocalendar()[1]:02d}",
        "w": str(_week_of_year(t)), "ww": f"{_week_of_year(t):02d}",
        "H": str(t.hour), "HH": f"{t.hour:02d}", "h": str(h12), "hh": f"{h12:02d}",
        "k": str(t.hour or 24), "kk": f"{t.hour or 24:02d}", "m": str(t.minute), "mm": f"{t.minute:02d}",
        "s": str(t.second), "ss": f"{t.second:02d}", "S": str(t.microsecond // 100000),
        "SS": f"{t.microsecond // 10000:02d}", "SSS": f"{t.microsecond // 1000:03d}",
        "A": "AM" if t.hour < 12 else "PM", "a": "am" if t.hour < 12 else "pm",
        "Z": _offset(t, ":"), "ZZ": _offset(t, ""), "X": str(int(t.timestamp())),
        "x": str(int(t.timestamp() * 1000)),
    }
    return values.get(tok, tok)


def format_moment(pattern: str, t: datetime | None = None) -> str:
    """``pattern`` rendered for ``t`` (an aware datetime; now in local time by default)."""
    t = t or datetime.now().astimezone()
    return TOKEN.sub(lambda m: _token(m.group(0), t), pattern)
