"""English numbers in context: dates, times, phone numbers, money, decades, units, fractions."""

from __future__ import annotations

import re

from narrate.speech.lang import LanguageRules
from narrate.speech.steps import HAS_DIGIT, spoken_number

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH_ALT = "|".join(_MONTHS)
_ZONES = {
    "ET": "Eastern Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CT": "Central Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MT": "Mountain Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PT": "Pacific Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "GMT": "G.M.T",
    "UTC": "U.T.C",
    "BST": "British Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "MSK": "Moscow time",
    "JST": "Japan time",
}
_ZONE_ALT = "|".join(sorted(_ZONES, key=len, reverse=True))
_AMPM = r"([AaPp])\.?\s?[Mm]\b\.?"

_ISO_DATE = re.compile(r"(?<![0-9-])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9-])")
_NUM_DATE = re.compile(r"(?<![0-9/.])([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}|[0-9]{2})(?![0-9/])")
_MONTH_DAY = re.compile(
    rf"\b({_MONTH_ALT})\s([0-9]{{1,2}})(?:st|nd|rd|th)?\b(?![.,:][0-9])(?:,?\s([0-9]{{4}})\b)?"
)
_DAY_MONTH = re.compile(
    rf"(?<![\w.,])([0-9]{{1,2}})(?:st|nd|rd|th)?\s(?:of\s)?({_MONTH_ALT})\b(?:,?\s([0-9]{{4}})\b)?"
)


def _en_date(rules: LanguageRules, year: int | None, month: int, day: int) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    spoken = f"{_MONTHS[month - 1]} {rules.ordinal(day)}"
    return spoken + (f", {rules.year(year)}" if year is not None else "")


def dates(text: str, rules: LanguageRules) -> str:
    """ISO, numeric and written dates as said: `May 13, 2025` → `May thirteenth, twenty …`."""
    if not HAS_DIGIT.search(text):
        return text

    def iso(m: re.Match[str]) -> str:
        y, mo, d = (int(g) for g in m.groups())
        return _en_date(rules, y, mo, d) or m.group(0)

    def numeric(m: re.Match[str]) -> str:
        mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if len(m.group(3)) == 2:
            y += 2000 if y < 50 else 1900
        if mo > 12 >= d:
            mo, d = d, mo
        return _en_date(rules, y, mo, d) or m.group(0)

    def month_day(m: re.Match[str]) -> str:
        y = int(m.group(3)) if m.group(3) else None
        return _en_date(rules, y, _MONTHS.index(m.group(1)) + 1, int(m.group(2))) or m.group(0)

    def day_month(m: re.Match[str]) -> str:
        d = int(m.group(1))
        if not 1 <= d <= 31:
            return m.group(0)
        the = "" if m.string[: m.start()].rstrip().lower().endswith("the") else "the "
        spoken = f"{the}{rules.ordinal(d)} of {m.group(2)}"
        return spoken + (f", {rules.year(int(m.group(3)))}" if m.group(3) else "")

    if "-" in text:
        text = _ISO_DATE.sub(iso, text)
    if "/" in text:
        text = _NUM_DATE.sub(numeric, text)
    text = _MONTH_DAY.sub(month_day, text)
    return _DAY_MONTH.sub(day_month, text)


_CLOCK = re.compile(
    rf"(?<![0-9:.,])([0-9]{{1,2}}):([0-9]{{2}})(?::[0-9]{{2}})?(?![0-9:])"
    rf"(?:\s?{_AMPM})?(?:\s({_ZONE_ALT})\b)?"
)
_HOUR = re.compile(rf"(?<![0-9:.,])([0-9]{{1,2}})\s?{_AMPM}(?:\s({_ZONE_ALT})\b)?")


def times(text: str, rules: LanguageRules) -> str:
    """Clock times with AM/PM and time zones: `9:30 a.m. ET` → `nine thirty AM Eastern Time`."""
    if not HAS_DIGIT.search(text):
        return text

    def suffix(ampm: str | None, zone: str | None) -> str:
        out = f" {ampm.upper()}M" if ampm else ""
        return out + (f" {_ZONES[zone]}" if zone else "")

    def clock(m: re.Match[str]) -> str:
        h, mins = int(m.group(1)), int(m.group(2))
        if h > 24 or mins > 59:
            return m.group(0)
        spoken = rules.cardinal(h)
        if mins == 0:
            if not m.group(3):
                spoken += " o'clock" if 1 <= h <= 12 else " hundred"
        elif mins < 10:
            spoken += " oh " + rules.cardinal(mins)
        else:
            spoken += " " + rules.cardinal(mins)
        return spoken + suffix(m.group(3), m.group(4))

    def hour(m: re.Match[str]) -> str:
        h = int(m.group(1))
        if not 1 <= h <= 12:
            return m.group(0)
        return rules.cardinal(h) + suffix(m.group(2), m.group(3))

    if ":" in text:
        text = _CLOCK.sub(clock, text)
    return _HOUR.sub(hour, text)


_PHONE = re.compile(
    r"(?<![0-9])(?:\+?1[ .-])?(\(?[0-9]{3}\)?)[ .-]([0-9]{3})[ .-]([0-9]{4})(?![0-9])"
)


def phones(text: str, rules: LanguageRules) -> str:
    """North American phone numbers, digit by digit in three groups."""
    if not HAS_DIGIT.search(text):
        return text
    return _PHONE.sub(lambda m: ", ".join(rules.digits(g) for g in m.groups()), text)


_CURRENCY_NAMES: dict[str, tuple[str, str, str, str]] = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("U.S dollar", "U.S dollars", "cent", "cents"),
    "U.S.$": ("U.S dollar", "U.S dollars", "cent", "cents"),
    "A$": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "AU$": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "C$": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "CA$": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "NZ$": ("New Zealand dollar", "New Zealand dollars", "cent", "cents"),
    "HK$": ("Hong Kong dollar", "Hong Kong dollars", "cent", "cents"),
    "R$": ("real", "reais", "centavo", "centavos"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", "", ""),
    "₹": ("rupee", "rupees", "paisa", "paise"),
    "₽": ("ruble", "rubles", "kopek", "kopeks"),
    "₴": ("hryvnia", "hryvnias", "kopiyka", "kopiykas"),
    "₩": ("won", "won", "", ""),
    "₺": ("lira", "lira", "", ""),
    "₪": ("shekel", "shekels", "agora", "agorot"),
    "CHF": ("Swiss franc", "Swiss francs", "centime", "centimes"),
}
_SCALES = {
    "trillion": "trillion",
    "tn": "trillion",
    "tr": "trillion",
    "billion": "billion",
    "bn": "billion",
    "bln": "billion",
    "b": "billion",
    "B": "billion",
    "million": "million",
    "mn": "million",
    "mln": "million",
    "m": "million",
    "M": "million",
    "thousand": "thousand",
    "k": "thousand",
    "K": "thousand",
}
_EN_MONEY = re.compile(
    r"(?<![\w$€£¥])([-−])?(US\$|U\.S\.\s?\$|AU\$|A\$|CA\$|C\$|NZ\$|HK\$|R\$|\$|€|£|¥|₹|₽|₴|₩|₺|₪|CHF)"
    r"\s?([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
    r"(?:\s?((?i:trillion|billion|million|thousand))\b|(tn|tr|bn|bln|mn|mln|m|b|k|K|M|B)\b)?"
)


def money(text: str, rules: LanguageRules) -> str:
    """Amounts after a currency symbol in words, cents and scale included: `$1.25`, `$4.5bn`."""
    if not HAS_DIGIT.search(text):
        return text

    def replace(m: re.Match[str]) -> str:
        sign, symbol, amount = m.group(1), m.group(2).replace(" ", ""), m.group(3)
        one, many, sub_one, sub_many = _CURRENCY_NAMES[symbol]
        scale = _SCALES.get((m.group(4) or "").lower() or m.group(5) or "")
        whole, _, frac = amount.replace(",", "").partition(".")
        if len(whole) > 15:
            return m.group(0)
        n = int(whole)
        if scale:
            spoken = f"{rules.decimal(amount)} {scale} {many}"
        elif frac and len(frac) == 2 and sub_one:
            cents = int(frac)
            parts = []
            if n or not cents:
                parts.append(f"{rules.cardinal(n)} {one if n == 1 else many}")
            if cents:
                parts.append(f"{rules.cardinal(cents)} {sub_one if cents == 1 else sub_many}")
            spoken = " and ".join(parts)
        elif frac:
            spoken = f"{rules.decimal(amount)} {many}"
        else:
            spoken = f"{rules.decimal(amount)} {one if n == 1 else many}"
        return ("minus " if sign else "") + spoken

    return _EN_MONEY.sub(replace, text)


_DECADE_SHORT = re.compile(r"(?<![\w'’])['’]([0-9]0)s\b")
_DECADE = re.compile(r"(?<![\w.,])([0-9]{1,3}0)['’]?s\b")
_ORDINAL = re.compile(r"(?<![\w.,])([0-9]{1,9})(st|nd|rd|th)\b")


def _plural(words: str) -> str:
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}".strip()


def decades_ordinals(text: str, rules: LanguageRules) -> str:
    """Decades and ordinal suffixes: `'90s`, `1990s`, `22nd`."""
    if not HAS_DIGIT.search(text):
        return text
    text = _DECADE_SHORT.sub(lambda m: _plural(rules.cardinal(int(m.group(1)))), text)

    def decade(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return _plural(rules.year(n) if len(m.group(1)) == 4 else rules.cardinal(n))

    text = _DECADE.sub(decade, text)
    return _ORDINAL.sub(lambda m: rules.ordinal(int(m.group(1))), text)


_UNITS: dict[str, tuple[str, str]] = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "sq km": ("square kilometer", "square kilometers"),
    "sq ft": ("square foot", "square feet"),
    "km": ("kilometer", "kilometers"),
    "kg": ("kilogram", "kilograms"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "mg": ("milligram", "milligrams"),
    "ml": ("milliliter", "milliliters"),
    "lbs": ("pound", "pounds"),
    "lb": ("pound", "pounds"),
    "ft": ("foot", "feet"),
    "mi": ("mile", "miles"),
    "kWh": ("kilowatt-hour", "kilowatt-hours"),
    "kW": ("kilowatt", "kilowatts"),
    "MW": ("megawatt", "megawatts"),
    "GW": ("gigawatt", "gigawatts"),
    "GB": ("gigabyte", "gigabytes"),
    "MB": ("megabyte", "megabytes"),
    "TB": ("terabyte", "terabytes"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
}
_EN_UNIT = re.compile(
    r"(?<![\w.,])([-−]?)([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)\s?("
    + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
    + r")(?![\w/])"
)
_BOEING = re.compile(r"\b(Boeing|Airbus)\s([0-9]{3})(s?)\b")
_LETTERS_NUMBER = re.compile(r"\b([A-Za-z]+)-?([0-9]+)(s?)\b(?![.,][0-9])")
_NUMBER_LETTERS = re.compile(r"(?<![\w.,])([0-9]+)([A-Za-z]+)\b")


def _model_number(digits: str, rules: LanguageRules) -> str:
    """Read `737` as `seven thirty-seven` and `16` as `sixteen`, as model names are said."""
    if (digits[0] == "0" and len(digits) > 1) or len(digits) > 4:
        return rules.digits(digits)
    n = int(digits)
    if len(digits) == 3 and n % 100:
        tail = n % 100
        return f"{rules.cardinal(n // 100)} " + (
            f"oh {rules.cardinal(tail)}" if tail < 10 else rules.cardinal(tail)
        )
    if len(digits) == 4:
        return rules.year(n) if 1100 <= n <= 2099 else rules.cardinal(n)
    return rules.cardinal(n)


def units_models(text: str, rules: LanguageRules) -> str:
    """Numbers with units (`5 km`) and in model names (`Boeing 737`, `F-16`)."""
    if not HAS_DIGIT.search(text):
        return text

    def unit(m: re.Match[str]) -> str:
        one, many = _UNITS[m.group(3)]
        sign = "minus " if m.group(1) else ""
        return f"{sign}{rules.decimal(m.group(2))} {one if m.group(2) == '1' else many}"

    text = _EN_UNIT.sub(unit, text)

    def model(m: re.Match[str]) -> str:
        words = _model_number(m.group(2), rules)
        return f"{m.group(1)} {_plural(words) if m.group(3) else words}"

    def number_letters(m: re.Match[str]) -> str:
        words = spoken_number(m.group(1), rules)
        return _plural(words) if m.group(2) == "s" else f"{words} {m.group(2)}"

    text = _BOEING.sub(model, text)
    text = _LETTERS_NUMBER.sub(model, text)
    return _NUMBER_LETTERS.sub(number_letters, text)


_FRACTION = re.compile(
    r"(?<![\w/.,])(?:([0-9]{1,3})\s)?([0-9]{1,2})/([0-9]{1,2})(?![\w/]|[.,][0-9])"
)
"""A fraction, with the whole number of a mixed one ("1 1/2")."""
_EN_SYMBOLS = (
    (re.compile(r"(?<=[0-9])\s?\+\s?(?=[0-9])"), " plus "),
    (re.compile(r"(?<=[0-9])\+"), " plus"),
    (re.compile(r"(?<=[0-9])\s?[×x]\s?(?=[0-9])"), " by "),
    (re.compile(r"(?<=[0-9])\s?=\s?(?=[0-9])"), " equals "),
    (re.compile(r"±"), " plus or minus "),
    (re.compile(r"[~≈]\s?(?=[0-9$€£])"), "about "),
    (re.compile(r"<\s?(?=[0-9$€£])"), "less than "),
    (re.compile(r">\s?(?=[0-9$€£])"), "more than "),
    (re.compile(r"\s?&\s?"), " and "),
    (re.compile(r"\s@\s"), " at "),
    (re.compile(r"§§\s?"), " sections "),
    (re.compile(r"§\s?"), " section "),
    (re.compile(r"°(?=\w)"), " degrees "),
    (re.compile(r"°"), " degrees"),
    (re.compile(r"%"), " percent"),
    (re.compile(r"[#@]"), " "),
    (re.compile(r"½"), " and a half"),
    (re.compile(r"¼"), " and a quarter"),
    (re.compile(r"¾"), " and three quarters"),
)


def symbols(text: str, rules: LanguageRules) -> str:
    """Fractions and the symbols between or after numbers: `1/2`, `+`, `×`, `%`, `§`."""

    def fraction(m: re.Match[str]) -> str:
        whole, a, b = m.group(1), int(m.group(2)), int(m.group(3))
        if not 0 < a < b <= 10:
            spoken = f"{rules.cardinal(a)} slash {rules.cardinal(b)}"
            return f"{rules.cardinal(int(whole))} {spoken}" if whole else spoken
        name = {2: "half", 4: "quarter"}.get(b) or rules.ordinal(b)
        if a > 1:
            name = "halves" if b == 2 else name + "s"
        if whole:  # "1 1/2 cups": one and a half cups
            return f"{rules.cardinal(int(whole))} and {'a' if a == 1 else rules.cardinal(a)} {name}"
        return f"{rules.cardinal(a)} {name}"

    if "/" in text:
        text = _FRACTION.sub(fraction, text)
    for pattern, replacement in _EN_SYMBOLS:
        text = pattern.sub(replacement, text)
    return text
