"""Time zones as people type them: IANA names in any case, city names in English or Korean, and
abbreviations where they name one zone. An abbreviation that names several (IST: India, Israel or
Ireland) asks which one; nothing is guessed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import available_timezones

# Abbreviations people use for a zone. Several zones: the member is asked to choose.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "kst": ("Asia/Seoul",), "jst": ("Asia/Tokyo",), "hkt": ("Asia/Hong_Kong",), "sgt": ("Asia/Singapore",),
    "pht": ("Asia/Manila",), "wib": ("Asia/Jakarta",), "ict": ("Asia/Bangkok",), "myt": ("Asia/Kuala_Lumpur",),
    "aest": ("Australia/Sydney",), "aedt": ("Australia/Sydney",), "awst": ("Australia/Perth",),
    "nzst": ("Pacific/Auckland",), "nzdt": ("Pacific/Auckland",),
    "et": ("America/New_York",), "est": ("America/New_York",), "edt": ("America/New_York",),
    "pt": ("America/Los_Angeles",), "pst": ("America/Los_Angeles",), "pdt": ("America/Los_Angeles",),
    "ct": ("America/Chicago",), "cdt": ("America/Chicago",), "mdt": ("America/Denver",),
    "bst": ("Europe/London",), "cet": ("Europe/Paris",), "cest": ("Europe/Paris",),
    "utc": ("UTC",),
    "ist": ("Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"),
    "cst": ("America/Chicago", "Asia/Shanghai"),
    "mst": ("America/Denver", "America/Phoenix"),
    "gmt": ("Europe/London", "UTC"),
}  # fmt: skip
# Cities the zone database names differently, or not at all, and Korean names of common cities.
CITIES: dict[str, str] = {
    "서울": "Asia/Seoul", "부산": "Asia/Seoul", "인천": "Asia/Seoul", "대구": "Asia/Seoul", "busan": "Asia/Seoul",
    "도쿄": "Asia/Tokyo", "오사카": "Asia/Tokyo", "osaka": "Asia/Tokyo",
    "베이징": "Asia/Shanghai", "상하이": "Asia/Shanghai", "beijing": "Asia/Shanghai",
    "홍콩": "Asia/Hong_Kong", "타이베이": "Asia/Taipei", "싱가포르": "Asia/Singapore", "마닐라": "Asia/Manila",
    "방콕": "Asia/Bangkok", "자카르타": "Asia/Jakarta", "하노이": "Asia/Ho_Chi_Minh", "호치민": "Asia/Ho_Chi_Minh",
    "hanoi": "Asia/Ho_Chi_Minh", "쿠알라룸푸르": "Asia/Kuala_Lumpur", "델리": "Asia/Kolkata", "뭄바이": "Asia/Kolkata",
    "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata", "mumbai": "Asia/Kolkata", "두바이": "Asia/Dubai",
    "시드니": "Australia/Sydney", "멜버른": "Australia/Melbourne", "오클랜드": "Pacific/Auckland",
    "런던": "Europe/London", "파리": "Europe/Paris", "베를린": "Europe/Berlin", "마드리드": "Europe/Madrid",
    "로마": "Europe/Rome", "모스크바": "Europe/Moscow",
    "뉴욕": "America/New_York", "워싱턴": "America/New_York", "washington": "America/New_York",
    "boston": "America/New_York", "보스턴": "America/New_York", "시카고": "America/Chicago",
    "로스앤젤레스": "America/Los_Angeles", "엘에이": "America/Los_Angeles", "la": "America/Los_Angeles",
    "san francisco": "America/Los_Angeles", "샌프란시스코": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "시애틀": "America/Los_Angeles", "토론토": "America/Toronto", "밴쿠버": "America/Vancouver",
    "상파울루": "America/Sao_Paulo", "멕시코시티": "America/Mexico_City",
}  # fmt: skip


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().casefold())


@lru_cache(maxsize=1)
def _all() -> frozenset[str]:
    """Every zone name tzdata has (read from disk once: the autocomplete asks at every keystroke)."""
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """IANA names by their typed form, and zones by city (the last part of their name)."""
    names: dict[str, str] = {}
    cities: dict[str, list[str]] = {}
    for name in _all():
        if name.startswith(("Etc/", "SystemV/", "posix/", "right/")) or ("/" not in name and name != "UTC"):
            continue
        names[_key(name)] = name
        cities.setdefault(_key(name.rsplit("/", 1)[-1]), []).append(name)
    for city, zone in CITIES.items():
        cities[_key(city)] = [zone]
    return names, {c: tuple(sorted(zs)) for c, zs in cities.items()}


def candidates(text: str) -> tuple[str, ...]:
    """The zones a typed name could mean: one when it is clear, several when it is not, none if unknown."""
    key = _key(text)
    if not key:
        return ()
    if key in ABBREVIATIONS:
        return ABBREVIATIONS[key]
    names, cities = _index()
    if text.strip() in _all():
        return (text.strip(),)
    if key in names:
        return (names[key],)
    return cities.get(key, ())


def suggestions(text: str, limit: int = 25) -> list[str]:
    """Autocomplete: what `candidates` would accept, then IANA names starting with or containing it."""
    key = _key(text)
    names, cities = _index()
    found = list(candidates(text))
    found += [z for c, zs in cities.items() if c.startswith(key) for z in zs]
    ordered = sorted(names)
    found += [names[n] for n in ordered if n.startswith(key)]
    found += [names[n] for n in ordered if key in n]
    return list(dict.fromkeys(found))[:limit]
