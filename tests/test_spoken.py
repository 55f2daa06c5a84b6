"""Tests for spoken text: numbers, symbols and abbreviations in words, per language."""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrate.speech.lang import LanguageRules
from narrate.speech.registry import LANGUAGES
from narrate.speech.spoken import to_spoken
from narrate.speech.steps import neutral_symbols

# --------------------------------------------------------------------------- to_spoken, English

EN_CASES = [
    # cardinals, decimals, negatives
    ("1,250 people", "one thousand two hundred fifty people"),
    ("1,000,000", "one million"),
    ("It grew 4.5 points.", "It grew four point five points."),
    ("0.5", "zero point five"),
    ("-5 degrees", "minus five degrees"),
    ("It fell to −3.", "It fell to minus three."),
    ("Section 230", "Section two hundred thirty"),
    ("007", "zero zero seven"),
    ("version 1.2.3", "version one point two point three"),
    # ordinals
    ("the 1st and 22nd", "the first and twenty-second"),
    ("the 101st Airborne", "the one hundred first Airborne"),
    ("3rd place", "third place"),
    # years and decades
    ("in 2022", "in twenty twenty-two"),
    ("in 2000", "in two thousand"),
    ("in 2009", "in two thousand nine"),
    ("in 1905", "in nineteen oh five"),
    ("the 1990s", "the nineteen nineties"),
    ("the 2000s", "the two thousands"),
    ("the '90s", "the nineties"),
    ("the ’80s", "the eighties"),
    ("in their 50s", "in their fifties"),
    ("since 2018.", "since twenty eighteen."),
    # dates
    (
        "Update 05/13/25, 9:30 a.m. ET:",
        "Update May thirteenth, twenty twenty-five, nine thirty AM Eastern Time:",
    ),
    ("on March 12, 2024.", "on March twelfth, twenty twenty-four."),
    ("on 2025-05-13", "on May thirteenth, twenty twenty-five"),
    ("on 13/05/2025", "on May thirteenth, twenty twenty-five"),
    ("on Jan. 5", "on January fifth"),
    ("on Sept. 11, 2001", "on September eleventh, two thousand one"),
    ("on 12 March 2024", "on the twelfth of March, twenty twenty-four"),
    ("the 12th of March", "the twelfth of March"),
    ("in May 2024", "in May twenty twenty-four"),
    ("in May", "in May"),
    # times
    ("at 10:00", "at ten o'clock"),
    ("at 9:05", "at nine oh five"),
    ("at 14:30", "at fourteen thirty"),
    ("it's 5 p.m. ET", "it's five PM Eastern Time"),
    ("at 10:00 a.m.", "at ten AM."),
    ("by 8pm GMT", "by eight PM G.M.T"),
    ("at 6:15 PST", "at six fifteen Pacific Standard Time"),
    # currencies
    ("$4.5bn", "four point five billion dollars"),
    ("€20m", "twenty million euros"),
    ("£3", "three pounds"),
    ("$1.2 million", "one point two million dollars"),
    ("US$5", "five U.S dollars"),
    ("US$ 10 billion", "ten billion U.S dollars"),
    ("$1", "one dollar"),
    ("$4.50", "four dollars and fifty cents"),
    ("$0.50", "fifty cents"),
    ("£2.01", "two pounds and one penny"),
    ("-$5", "minus five dollars"),
    ("$3,000", "three thousand dollars"),
    ("₴100", "one hundred hryvnias"),
    # percentages
    ("5%", "five percent"),
    ("0.5%", "zero point five percent"),
    ("3.5 per cent", "three point five percent"),
    ("up 12 percent", "up twelve percent"),
    # ranges
    ("2020-2024", "twenty twenty to twenty twenty-four"),
    ("the 2020-21 season", "the twenty twenty to twenty twenty-one season"),
    ("5–10", "five to ten"),
    ("5-10%", "five to ten percent"),
    ("ages 18 - 24", "ages eighteen to twenty-four"),
    # abbreviations
    ("the U.S. and the U.K. agreed", "the U.S and the U.K agreed"),
    ("He left for the U.S.", "He left for the U.S."),
    ("Dr. Smith", "Doctor Smith"),
    ("No. 5", "number five"),
    ("No one came", "No one came"),
    ("Say no to 5", "Say no to five"),
    ("Team A vs. Team B", "Team A versus Team B"),
    ("St. Louis", "Saint Louis"),
    ("on Main St.", "on Main Street."),
    ("Mr. and Mrs. Smith and Ms. Jones", "Mister and Missus Smith and Miz Jones"),
    (
        "Gov. Newsom and Sen. Warren and Rep. Jeffries",
        "Governor Newsom and Senator Warren and Representative Jeffries",
    ),
    ("fruit, e.g. apples", "fruit, for example apples"),
    ("Donald J. Trump said", "Donald J Trump said"),
    ("Acme Ltd. and Acme Corp.", "Acme Limited and Acme Corporation."),
    ("World War II", "World War two"),
    ("Queen Elizabeth II", "Queen Elizabeth the second"),
    ("Section IV and Vatican II", "Section four and Vatican two"),
    ("Pope Leo XIV", "Pope Leo the fourteenth"),
    ("The XX", "The X.X"),
    ("I think", "I think"),
    # acronyms
    ("NATO and NASA and UNESCO", "Nato and Nassa and Unesco"),
    ("OPEC, COVID, AIDS, FIFA, UNICEF, ASEAN", "O-peck, covid, aids, Fifa, Unicef, Asean"),
    ("the FBI, EU, UK, CEO, BBC, UN and GDP", "the F.B.I, E.U, U.K, C.E.O, B.B.C, U.N and G.D.P"),
    ("the NHL and XYZ", "the N.H.L and X.Y.Z"),
    ("the CEOs and MPs", "the C-E-O's and M-P's"),
    ("NATO's plan", "Nato's plan"),
    ("BREAKING news", "Breaking news"),
    ("COVID-19", "covid nineteen"),
    ("a PhD", "a P.H.D"),
    # letters and digits
    ("5G", "five G"),
    ("Web3", "Web three"),
    ("G7", "G seven"),
    ("F-16", "F sixteen"),
    ("two F-16s", "two F sixteens"),
    ("Boeing 747s", "Boeing seven forty-sevens"),
    ("In Q3 2024", "In Q three twenty twenty-four"),
    ("a Boeing 737", "a Boeing seven thirty-seven"),
    ("an Airbus A320", "an Airbus A three twenty"),
    ("flight MH17", "flight M.H seventeen"),
    ("10 km", "ten kilometers"),
    ("1 kg", "one kilogram"),
    ("100 mph", "one hundred miles per hour"),
    ("20°C", "twenty degrees Celsius"),
    ("30°", "thirty degrees"),
    # web
    ("Visit example.com/path?x=1 now.", "Visit example dot com now."),
    ("See https://www.bbc.co.uk/news.", "See bbc dot co dot uk."),
    ("Email b.cole@newsweek.com today", "Email b dot cole at newsweek dot com today"),
    ("follow @brendanmarkcole.", "follow at brendanmarkcole."),
    ("on X @TostevinM.", "on X at Tostevin M."),
    ("#Ukraine", "hashtag Ukraine"),
    # symbols
    ("R&D", "R and D"),
    ("AT&T", "A.T and T"),
    ("2+2", "two plus two"),
    ("50+ people", "fifty plus people"),
    ("3×4", "three by four"),
    ("#5", "number five"),
    ("open 24/7", "open twenty-four seven"),
    ("1/2 of them", "one half of them"),
    ("3/4 of them", "three quarters of them"),
    ("© 2025 Newsweek", "copyright twenty twenty-five Newsweek"),
    ("call 555-123-4567", "call five five five, one two three, four five six seven"),
    # emoji, phoneme injection, white space
    ("Great 😀 news 🇺🇦!", "Great news!"),
    ("Thumbs 👍🏽 up", "Thumbs up"),
    ("[[ h ə l oʊ ]] world", "(h ə l oʊ) world"),
    ("a [[[b]]] c", "a (b) c"),
    ("too   many    spaces ", "too many spaces"),
    # Roman numerals only as whole tokens: never inside names or "It"
    ("Russian President Vladimir Putin met.", "Russian President Vladimir Putin met."),
    ("Why It Matters", "Why It Matters"),
    ("President Volodymyr Zelensky said.", "President Volodymyr Zelensky said."),
    ("Pope Leo XIV met Victor Ivanov.", "Pope Leo the fourteenth met Victor Ivanov."),
    ("King Charles III spoke.", "King Charles the third spoke."),
    ("Henry VIII ruled.", "Henry the eighth ruled."),
    ("World War II ended.", "World War two ended."),
    ("Part IV begins.", "Part four begins."),
    ("Queen Elizabeth II's third child", "Queen Elizabeth the second's third child"),
    ("Johnson I'm told", "Johnson I'm told"),
    # typographic furniture is not read out; degrees keep their space
    ("Shared Mutable History¶", "Shared Mutable History"),
    ("• Monarch · GitHub ≫", "Monarch GitHub"),
    ("41°17′S", "forty-one degrees seventeen′S"),
    ("under § 230", "under section two hundred thirty"),
    # codes, multipliers, ranges with units on both ends, scale words, model numbers
    ("H5N1 bird flu", "H five N one bird flu"),
    ("the W3C said", "the W three C said"),
    ("1.5x faster", "one point five times faster"),
    ("a 10%-15% rise", "a ten to fifteen percent rise"),
    ("$10-$15 a month", "ten dollars to fifteen dollars a month"),
    ("a $1.2-billion contract", "a one point two billion dollars contract"),
    ("a $4.5 bn deal", "a four point five billion dollars deal"),
    ("1bn users", "one billion users"),
    ("a Boeing 787-9", "a Boeing seven eighty-seven nine"),
    # scale words in any case, mixed fractions
    ("a Net Worth of $17 Million?", "a Net Worth of seventeen million dollars?"),
    ("a $5 Billion deal", "a five billion dollars deal"),
    ("Add 1 1/2 cups honey.", "Add one and a half cups honey."),
    ("Use 2 3/4 cups.", "Use two and three quarters cups."),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), EN_CASES)
def test_to_spoken_english(text: str, expected: str) -> None:
    assert to_spoken(text, "en") == expected


def test_language_prefix_selects_rules() -> None:
    assert to_spoken("in 2022", "en-US") == to_spoken("in 2022", "en_GB") == "in twenty twenty-two"


OTHER_CASES = [
    ("de", "Am 24.12.2024 kam er.", "Am vierundzwanzigsten Dezember zweitausendvierundzwanzig kam er."),  # noqa: E501
    ("de", "Der 2. Weltkrieg endete.", "Der zweite Weltkrieg endete."),
    ("de", "Im 19. Jahrhundert war es so.", "Im neunzehnten Jahrhundert war es so."),
    ("de", "Er wurde 2. Dann ging er.", "Er wurde zwei. Dann ging er."),
    ("de", "Das kostet 3,20 €.", "Das kostet drei Euro zwanzig."),
    ("de", "Ein Deal über €1,5 Mio.", "Ein Deal über eins Komma fünf Millionen Euro."),
    ("de", "Sie stieg um 3,5 Prozent.", "Sie stieg um drei Komma fünf Prozent."),
    ("de", "Es kamen 1.000 Menschen.", "Es kamen eintausend Menschen."),
    ("de", "Am 3. Mai um 9:30 Uhr.", "Am dritten Mai um neun Uhr dreißig."),
    ("de", "Der 3. Mai war gut.", "Der dritte Mai war gut."),
    ("de", "Es stieg um 5%.", "Es stieg um fünf Prozent."),
    (
        "de",
        "Das kostet 20 € bzw. 5 Mio. Euro.",
        "Das kostet zwanzig Euro beziehungsweise fünf Millionen Euro.",
    ),
    ("de", "Dr. Müller wohnt in Nr. 5.", "Doktor Müller wohnt in Nummer fünf."),
    ("de", "Das ist z.B. gut.", "Das ist zum Beispiel gut."),
    ("de", "Von 2020-2024.", "Von zweitausendzwanzig bis zweitausendvierundzwanzig."),
    ("es", "el 5 de mayo", "el cinco de mayo"),
    ("es", "Subió un 3,5%.", "Subió un tres coma cinco por ciento."),
    ("es", "Llegaron 1.000 personas.", "Llegaron mil personas."),
    ("es", "El Sr. García y la Sra. López", "El señor García y la señora López"),
    ("es", "en EE.UU. pagaron €20.", "en Estados Unidos pagaron veinte euros."),
    ("es", "Es el 1.º de la lista.", "Es el primero de la lista."),
    ("fr", "Il a 3,5 ans.", "Il a trois virgule cinq ans."),
    ("it", "Sono 12 mele.", "Sono dodici mele."),
    ("xx", "Leave 123 alone [[x]]", "Leave 123 alone (x)"),
]  # fmt: skip


@pytest.mark.parametrize(("lang", "text", "expected"), OTHER_CASES)
def test_to_spoken_other_languages(lang: str, text: str, expected: str) -> None:
    assert to_spoken(text, lang) == expected


def _broken_step(text: str, rules: LanguageRules) -> str:
    raise ValueError("odd text")


def test_a_failing_step_is_one_warning_line_and_its_traceback_is_for_debug(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rules = LanguageRules(code="zz", number_lang=None, steps=(_broken_step, neutral_symbols))
    monkeypatch.setitem(LANGUAGES, "zz", rules)
    with caplog.at_level(logging.WARNING, logger="narrate.speech.spoken"):
        assert to_spoken("Read | on.", "zz") == "Read on."  # the later steps still run
    [warning] = caplog.records
    assert warning.levelno == logging.WARNING and warning.exc_info is None
    assert warning.getMessage() == (
        "spoken-text step _broken_step skipped on 'Read | on.': ValueError: odd text"
    )
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="narrate.speech.spoken"):
        to_spoken("Read | on.", "zz")
    [debug] = [r for r in caplog.records if r.exc_info]
    assert debug.levelno == logging.DEBUG and debug.exc_info[0] is ValueError


def test_registry_holds_language_rules() -> None:
    assert {"en", "de", "es"} <= set(LANGUAGES)
    assert all(isinstance(r, LanguageRules) for r in LANGUAGES.values())
    assert LANGUAGES["en"].cardinal(21) == "twenty-one"
    assert LANGUAGES["en"].year(1990) == "nineteen ninety"


SAMPLE_SENTENCES = [
    (
        "Update 05/13/25, 9:30 a.m. ET: This article has been updated with further information.",
        "Update May thirteenth, twenty twenty-five, nine thirty AM Eastern Time: "
        "This article has been updated with further information.",
    ),
    (
        "He said that if Putin refuses to attend the first direct peace talks since 2022 on "
        "Thursday it would be the final sign that he did not want to end the war.",
        "He said that if Putin refuses to attend the first direct peace talks since twenty "
        "twenty-two on Thursday it would be the final sign that he did not want to end the war.",
    ),
    (
        'Yermak added that the U.S. and international response should be "very strong".',
        'Yermak added that the U.S and international response should be "very strong".',
    ),
]


@pytest.mark.parametrize(("text", "expected"), SAMPLE_SENTENCES)
def test_sample_article_sentences(text: str, expected: str) -> None:
    assert to_spoken(text) == expected


# --------------------------------------------------------------------------- properties

_NEWSY = st.lists(
    st.sampled_from(
        [
            "1,250", "4.5", "$4.5bn", "€20m", "US$", "5%", "2020-2024", "05/13/25", "9:30",
            "a.m.", "ET", "U.S.", "No.", "Dr.", "COVID-19", "F-16", "[[", "]]", "[", "]", "@x",
            "b@c.com", "x.com/1", "'90s", "1990s", "22nd", "-", "−", "–", "#", "°", "×", "+",
            "&", "😀", "Boeing", "737", "0", "99999999999999999999999", "1.2.3", "½", "II",
            "the", "March", "12,", "2024", "May", "5", "p.m.", "Jan.", "/", "3/4", "km", "%",
            "President", "Vladimir", "It", "Henry", "VIII", "Ivanov", "War", "Victor", "XIV",
        ]
    ),
    max_size=25,
).map(" ".join)  # fmt: skip


class _Failures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@settings(max_examples=400)
@given(st.one_of(st.text(), _NEWSY, _NEWSY.map(lambda s: s.replace(" ", ""))))
def test_english_output_has_no_digits_or_phoneme_blocks(text: str) -> None:
    failures = _Failures()
    logger = logging.getLogger("narrate.speech.spoken")
    logger.addHandler(failures)
    try:
        spoken = to_spoken(text, "en")
    finally:
        logger.removeHandler(failures)
    assert not re.search(r"[0-9]", spoken)
    assert "[[" not in spoken and "]]" not in spoken
    assert spoken == spoken.strip()
    assert "zeroth" not in spoken or "0" in text
    assert not failures.records, failures.records[0].getMessage()


@given(st.text(), st.sampled_from(["de", "es", "fr", "ru", "xx", "", "EN-gb"]))
def test_other_languages_never_crash_or_inject_phonemes(text: str, lang: str) -> None:
    spoken = to_spoken(text, lang)
    assert "[[" not in spoken and "]]" not in spoken
