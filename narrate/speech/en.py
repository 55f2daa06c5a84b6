"""English: web addresses, titles, Roman numerals, acronyms, and the order of the steps."""

from __future__ import annotations

import re
from types import MappingProxyType

from narrate.speech import en_numbers
from narrate.speech.lang import LanguageRules, word_set
from narrate.speech.steps import (
    drop_pictographs,
    expand_abbreviations,
    leftover_digits,
    negatives,
    neutral_symbols,
    numbers,
    percentages,
    ranges,
)

_MONTH_ABBR = {
    "Jan": "January",
    "Feb": "February",
    "Mar": "March",
    "Apr": "April",
    "Jun": "June",
    "Jul": "July",
    "Aug": "August",
    "Sep": "September",
    "Sept": "September",
    "Oct": "October",
    "Nov": "November",
    "Dec": "December",
}

_EN_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"“”]+", re.IGNORECASE)
_EN_DOMAIN = re.compile(
    r"(?<![\w@.])(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+"
    r"(?:com|org|net|gov|edu|io|uk|de|fr|es|eu|info|ai|app|dev|news|tv|ly|ru|ua|ca|au|jp"
    r"|cn|nl|ch|se|pl|ie|nz|int|mil|biz)\b(?:/[^\s\"“”<>]*)?",
    re.IGNORECASE,
)
_EN_EMAIL = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9][A-Za-z0-9._%+-]*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)
_EN_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,30})\b")
_EN_HASHTAG = re.compile(r"(?<![\w#])#([A-Za-z]\w*)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|_+")
_URL_TAIL = re.compile(r"[.,;:!?)\]'\"’”]+$")


def _say_domain(host: str) -> str:
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", host, flags=re.IGNORECASE)
    host = re.split(r"[/?#:]", host, maxsplit=1)[0]
    return " dot ".join(p for p in host.split(".") if p)


def _en_web(text: str, rules: LanguageRules) -> str:
    if "@" in text:
        text = _EN_EMAIL.sub(
            lambda m: (
                " dot ".join(p for p in re.split(r"[._+-]+", m.group(1)) if p)
                + " at "
                + _say_domain(m.group(2))
            ),
            text,
        )
        text = _EN_HANDLE.sub(lambda m: "at " + _CAMEL.sub(" ", m.group(1)).strip(), text)

    def url(m: re.Match[str]) -> str:
        raw = m.group(0)
        tail = _URL_TAIL.search(raw)
        core = raw[: tail.start()] if tail else raw
        return _say_domain(core) + (tail.group(0) if tail else "")

    if "." in text:
        text = _EN_URL.sub(url, text)
        text = _EN_DOMAIN.sub(url, text)
    if "#" in text:
        text = _EN_HASHTAG.sub(lambda m: "hashtag " + _CAMEL.sub(" ", m.group(1)).strip(), text)
    return text


_EN_EARLY = (
    (re.compile(r"\bNo\.\s?(?=[0-9])"), "number "),
    (re.compile(r"\bNos\.\s?(?=[0-9])"), "numbers "),
    (re.compile(r"#\s?(?=[0-9])"), "number "),
    (re.compile(r"AT&T"), "A.T and T"),
    (re.compile(r"\bPh\.?D\b\.?"), "P.H.D"),
    (re.compile(r"(?<![\w.])([ap])\.m\.(?!\w)"), lambda m: m.group(1).upper() + "M"),
    (re.compile(r"\b(24/7)\b"), "twenty-four seven"),
    (re.compile(r"\b(9/11)\b"), "nine eleven"),
    (re.compile(r"\b(50/50)\b"), "fifty-fifty"),
    (re.compile(r"©"), " copyright "),
    (re.compile(r"№\s?"), "number "),
    # Codes with digits between letters (H5N1, W3C, A320neo) are read piece by piece.
    (
        re.compile(r"\b[A-Za-z]+[0-9]+[A-Za-z][A-Za-z0-9]*\b"),
        lambda m: " ".join(re.findall(r"[A-Za-z]+|[0-9]+", m.group(0))),
    ),
    (re.compile(r"(?<=[0-9])x\b"), " times"),
    # Ranges whose ends both carry the unit: "10%-15%", "$10-$15".
    (re.compile(r"([0-9.]+)%\s?[-–]\s?(?=[0-9.]+%)"), r"\1 to "),
    (re.compile(r"(\$[0-9][0-9.,]*)\s?[-–]\s?(?=\$[0-9])"), r"\1 to "),
    # "$1.2-billion contract", "$4.5 bn", "1bn users": the scale word belongs to the number.
    (re.compile(r"(?<=[0-9])-(?=(?:million|billion|trillion)\b)"), " "),
    (re.compile(r"(?<=[0-9])\s(?=(?:bn|bln|mn|mln|tn)\b)"), ""),
    (re.compile(r"(?<![\w$€£.,])([0-9][0-9.,]*)(bn|bln)\b"), r"\1 billion"),
    (re.compile(r"(?<![\w$€£.,])([0-9][0-9.,]*)(mn|mln)\b"), r"\1 million"),
)


_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}
# I to XX as a whole token. Every alternative is non-empty: an optional-everything pattern matched
# the empty string before "Vladimir", "It" or "II's" and read it as "the zeroth".
_ROMAN = r"(?=[IVX]+\b)(?:XX|X(?:IX|IV|V?I{0,3})|IX|IV|VI{0,3}|I{1,3})"
_ROMAN_COUNTED = re.compile(
    r"\b(War|Part|Phase|Chapter|Act|Book|Volume|Article|Title|Type|Class|Stage|Level|Category"
    r"|Round|Bowl|Section|Schedule|Annex|Appendix|Episode|Grade|Tier|Mark|Apollo|Vatican)"
    rf"\s({_ROMAN})\b(?!['’])"
)
_NOT_NAMES = word_set("The A An In On Of And Or To For At By With From As Is It This That")
_ROMAN_REGNAL = re.compile(rf"\b([A-Z][a-z]+)\s(?!I\b|V\b|X\b)({_ROMAN})(?:(['’]s)\b|\b(?!['’]))")
"""A name and its regnal number, possessive included: "Elizabeth II's" → "the second's"."""


def _roman(numeral: str) -> int:
    values = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _en_early(text: str, rules: LanguageRules) -> str:
    # espeak-ng ends a sentence at ". Capital": an initial's dot would break "Donald J. Trump".
    text = _INITIAL_DOT.sub(r"\1", text)
    for pattern, replacement in _EN_EARLY:
        text = pattern.sub(replacement, text)
    text = _ROMAN_COUNTED.sub(lambda m: f"{m.group(1)} {rules.cardinal(_roman(m.group(2)))}", text)
    text = _ROMAN_REGNAL.sub(
        lambda m: (
            m.group(0)
            if m.group(1) in _NOT_NAMES
            else f"{m.group(1)} the {rules.ordinal(_roman(m.group(2)))}{m.group(3) or ''}"
        ),
        text,
    )
    return _MONTH_ABBR_RE.sub(lambda m: _MONTH_ABBR[m.group(1)], text)


_INITIAL_DOT = re.compile(r"(?<![\w.])([A-Z])\.(?=\s[A-Z][a-z])")


_MONTH_ABBR_RE = re.compile(r"\b(" + "|".join(_MONTH_ABBR) + r")\.?(?=\s[0-9])")


_EN_TITLES = {
    "Dr": "Doctor",
    "Mr": "Mister",
    "Mrs": "Missus",
    "Ms": "Miz",
    "Prof": "Professor",
    "Gen": "General",
    "Sen": "Senator",
    "Sens": "Senators",
    "Rep": "Representative",
    "Reps": "Representatives",
    "Gov": "Governor",
    "Lt": "Lieutenant",
    "Col": "Colonel",
    "Capt": "Captain",
    "Sgt": "Sergeant",
    "Adm": "Admiral",
    "Rev": "Reverend",
    "Pres": "President",
    "Cmdr": "Commander",
    "Maj": "Major",
    "Supt": "Superintendent",
    "Insp": "Inspector",
    "Fr": "Father",
    "Mt": "Mount",
    "Ft": "Fort",
    "Hon": "Honorable",
}
_EN_TITLE = re.compile(
    r"\b(?:(Dr|Mr|Mrs|Ms)\.|(Dr|Mr|Mrs|Ms|St)\.?(?=\s[A-Z])|("
    + "|".join(t for t in _EN_TITLES if t not in ("Dr", "Mr", "Mrs", "Ms"))
    + r")\.(?=\s[A-Z]))"
)
_EN_STREET = re.compile(r"\b([A-Z][a-z]+) St\.?+(?!\w)(?!\s[A-Z])")


def _en_titles(text: str, rules: LanguageRules) -> str:
    text = _EN_STREET.sub(r"\1 Street", text)

    def title(m: re.Match[str]) -> str:
        short = m.group(1) or m.group(2) or m.group(3)
        return "Saint" if short == "St" else _EN_TITLES[short]

    return _EN_TITLE.sub(title, text)


_DOTTED_LETTERS = re.compile(r"(?<![\w.])((?:[A-Za-z]\.){2,})(?![\w])")
_CAPS = re.compile(r"(?<![\w.'’])([A-Z][A-Z]+)(['’]s|s)?(?![\w'’])")
_VOWELS = frozenset("AEIOU")


def _letters(word: str, suffix: str = "") -> str:
    # "F.B.I" keeps espeak-ng's acronym stress and never ends its sentence; plurals need "F-B-I's".
    if suffix:
        return "-".join(word.upper()) + "'s"
    return ".".join(word.upper())


def _en_acronyms(text: str, rules: LanguageRules) -> str:
    text = _DOTTED_LETTERS.sub(lambda m: _letters(m.group(1).replace(".", "")), text)

    def caps(m: re.Match[str]) -> str:
        word, suffix = m.group(1), m.group(2) or ""
        if word in _EN_WORD_ACRONYMS:
            return _EN_WORD_ACRONYMS[word] + suffix
        if word in _EN_KEEP:
            return m.group(0)
        if word in _EN_LETTER_ACRONYMS or (len(word) <= 4 and not _VOWELS & set(word)):
            return _letters(word, suffix)
        if len(word) >= 5:
            return word.capitalize() + suffix
        return m.group(0)

    return _CAPS.sub(caps, text)


_EN_WORD_ACRONYMS = {
    w.upper(): w
    for w in word_set(
        "Nato Unesco covid aids Fifa Unicef Asean Sars Mers Isis Isil Uefa Nafta "
        "Swat laser radar Scotus Potus Flotus Nasdaq Darpa Interpol Europol Norad Mercosur "
        "Apec Brics Ikea Lego Hamas Seal Wasp Unifil Frontex Ofcom Ofsted Acas Eurostat "
        "Gif Jpeg Captcha Wifi Ram Rom Lidar Sonar Ebola Mossad Pemex Petrobras"
    )
}
_EN_WORD_ACRONYMS |= {
    "NASA": "Nassa",
    "OPEC": "O-peck",
    "FEMA": "Feema",
    "ICE": "ice",
    "OK": "okay",
    "DEFCON": "Defcon",
    "UNRWA": "Unrwa",
}
_EN_KEEP = frozenset({"AM", "PM", "I", "A"})
_EN_LETTER_ACRONYMS = word_set(
    "FBI CIA NSA DEA ATF EU UK US USA UN UAE CEO CFO COO CTO BBC CNN NBC CBS ABC NPR PBS "
    "MSNBC AP AFP UPI GDP IMF WHO NGO MP TV PC AI IT DC LA NYC IRS EPA FDA CDC DOJ DHS DOD "
    "FAA FCC SEC FTC NHS ITV ECB IAEA OSCE UNHCR ICC ICJ ISS NBA NFL MLB NHL PGA WTA ATP UFC "
    "EV SUV CPU GPU USB PDF HTML URL API DNA RNA HIV ICU ER GOP DNC RNC UAW AFL CIO NAACP "
    "LGBT LGBTQ IPO ETF CPI PPI FX AP CCTV KGB FSB SBU GRU SVR IDF IRGC PKK PLO ANC SNP DUP "
    "CDU CSU SPD FDP PR HR ID VIP DIY FAQ CBD THC PTSD ADHD BMW VW HP IBM AMD TSMC GE GM UBS "
    "HSBC RBS IBT LLC LLP PLC OECD WTO EPA UFO IQ PhD OPCW MI MIT UCLA NYU USC BYU NYPD LAPD "
    "TSA DMV VA NIH NOAA NTSB SCO BRI EIB EBRD IEA IPCC COP UNGA UNSC OAS AU ECOWAS ISW "
    "RFK JFK LBJ FDR MLK ESPN HBO MTV CBC ABC RTE ZDF ARD DW RFE RFERL VOA NYT WSJ FT WP "
    "AOC MAGA GPS SMS PIN ATM EU's UN's"
)


_EN_OPENERS = word_set(
    "The A An This That These Those There Their His Her Its It He She They We I You Our My "
    "But And Or So Yet In On At As For If When While After Before Since Although However "
    "Meanwhile Also Some Many Most All Not What Why How Who Where Then Still Now Last "
    "Earlier Later One Both Each Other Such"
)

RULES = LanguageRules(
    code="en",
    number_lang="en",
    decimal_comma=False,
    words=MappingProxyType(
        {"point": "point", "minus": "minus", "percent": "percent", "to": "to", "and": "and"}
    ),
    abbreviations=MappingProxyType(
        {
            "vs.": "versus",
            "vs": "versus",
            "v.": "versus",
            "e.g.": "for example",
            "i.e.": "that is",
            "etc.": "et cetera",
            "approx.": "approximately",
            "Inc.": "Inc",
            "Ltd.": "Limited",
            "Corp.": "Corporation",
            "Co.": "Company",
            "Jr.": "Junior",
            "Sr.": "Senior",
            "Ave.": "Avenue",
            "Blvd.": "Boulevard",
            "Dept.": "Department",
            "Govt.": "government",
            "est.": "established",
            "cf.": "compare",
        }
    ),
    never_final=word_set(
        "mr mrs ms dr prof gen sen sens rep reps gov lt col capt sgt adm rev pres cmdr maj "
        "supt insp st mt ft hon vs v e.g i.e cf approx"
    ),
    maybe_final=word_set("etc inc ltd corp co jr sr ave blvd dept govt est a.m p.m u.s u.k"),
    before_number=word_set(
        "no nos jan feb mar apr jun jul aug sep sept oct nov dec p pp fig vol ch sec art"
    ),
    openers=_EN_OPENERS,
    steps=(
        drop_pictographs,
        _en_web,
        _en_early,
        en_numbers.dates,
        en_numbers.times,
        en_numbers.phones,
        ranges,
        en_numbers.money,
        percentages,
        en_numbers.decades_ordinals,
        en_numbers.units_models,
        en_numbers.symbols,
        negatives,
        numbers,
        leftover_digits,
        _en_titles,
        expand_abbreviations,
        _en_acronyms,
        neutral_symbols,
    ),
)
