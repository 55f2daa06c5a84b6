"""Pronunciation lexicons: respellings, raw phonemes and spelled-out acronyms for the voice.

A lexicon file is TOML with one table per language; each key is a word or phrase as it appears
in the text:

    [en]
    Yermak = "Yer-mahk"                          # respelling: the voice reads this instead
    Peskov = { phonemes = "pjˈɛskɔf" }           # espeak-ng IPA, sent to Piper as [[ ... ]]
    ICBM = { letters = true }                    # spelled out, letter by letter
    UNESCO = { letters = false }                 # read as a word, never spelled
    Xi = { phonemes = "ʃˈiː", case_sensitive = true }
    Kyiv = false                                 # drop an entry of an earlier lexicon

A lexicon applies to each sentence's spoken text, after the normaliser. Matching is on whole
words (`whole_word = false` matches inside words too). Keys written in capitals (two or more
letters, all upper case, like ICBM) match case-sensitively, so the acronym WHO never changes the
word "who", and also match the forms the normaliser writes for acronyms (W.H.O, W-H-O's, and
from five letters Unesco); every other key matches in any case unless `case_sensitive = true`.
English possessives follow the entry: "Peskov's" becomes [[pjˈɛskɔfs]], "Yermak's" becomes
"Yer-mahk's". Later lexicons override earlier ones entry by entry (keys compared
case-insensitively): the bundled default, then user files in order.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from narrate.speech import espeak as espeak_dict

APOSTROPHES = "'’"
_TRAILING = re.compile(r"([\"”’»)\]]*)([.,;:!?]+)")
"""Punctuation after a phoneme block goes inside it: Piper drops it when it follows a block."""
# Piper phonemizes the text before a [[ ]] block as a clause of its own, so espeak-ng stresses its
# last word as clause-final ("a" becomes the letter ˈeɪ, "in" ˈɪn). A function word there goes
# inside the block in the form espeak-ng (en-us) gives it mid-sentence, measured on
# "Then WORD Bob left." / "Then WORD Ann left.".
_WEAK_FORMS = {
    "a": "ɐ", "to": "tə", "by": "baɪ", "in": "ɪn", "on": "ˌɔn", "be": "biː", "has": "hɐz",
    "have": "hæv", "had": "hæd", "will": "wɪl", "would": "wʊd", "can": "kæn", "could": "kʊd",
    "should": "ʃˌʊd", "might": "mˌaɪt", "that": "ðæt", "this": "ðɪs", "these": "ðiːz",
    "those": "ðoʊz", "his": "hɪz", "my": "maɪ", "who": "hˌuː", "which": "wˌɪtʃ", "what": "wʌt",
    "when": "wɛn", "where": "wˌɛɹ", "not": "nˌɑːt", "so": "sˌoʊ", "about": "ɐbˌaʊt",
    "onto": "ˌɑːntʊ", "over": "ˌoʊvɚ", "under": "ˌʌndɚ", "before": "bᵻfˌɔːɹ",
    "between": "bᵻtwˌiːn", "without": "wɪðˌaʊt", "within": "wɪðˌɪn",
}  # fmt: skip
_WEAK_BEFORE_VOWEL = {"the": "ðɪ", "an": "ɐn", "to": "tʊ", "a": "ɐ"}
_WEAK_BEFORE = re.compile(
    r"(?<![\w'’-])(" + "|".join({*_WEAK_FORMS, *_WEAK_BEFORE_VOWEL}) + r") +$", re.IGNORECASE
)
_VOWELS = frozenset("aeiouæɐɑɒɔəɚɛɜɝɞɪʊʌᵻ")
_NEIGHBOURS = re.compile(r"\]\] +\[\[")
_VOICELESS = frozenset("ptkfθ")
_SIBILANTS = ("s", "z", "ʃ", "ʒ")


@dataclass(frozen=True)
class Entry:
    """One word or phrase and how the voice should say it."""

    key: str
    """The word as written in the text."""
    say: str | None = None
    """A respelling the voice reads instead."""
    phonemes: str | None = None
    """espeak-ng IPA passed to Piper as a raw `[[ ]]` block."""
    letters: bool | None = None
    """True: spell it letter by letter; False: read it as a word."""
    case_sensitive: bool = False
    whole_word: bool = True
    source: str = ""
    """The lexicon file that defined it."""


@dataclass(frozen=True)
class Lexicon:
    """The entries for one language, applied to spoken text in one pass."""

    lang: str
    entries: tuple[Entry, ...] = ()
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _by_group: dict[int, Entry] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        entries = tuple(_resolve_letters(e, self.lang) for e in self.entries)
        object.__setattr__(self, "entries", entries)
        pattern, groups = _compile(entries, possessive=self.lang == "en")
        object.__setattr__(self, "_pattern", pattern)
        object.__setattr__(self, "_by_group", groups)

    def get(self, word: str) -> Entry | None:
        """The entry that would replace `word` standing alone, if any."""
        if self._pattern is None:
            return None
        match = self._pattern.fullmatch(word)
        return self._by_group[match.lastindex] if match and match.lastindex else None

    def apply(self, spoken: str) -> str:
        """The spoken text with every entry's words replaced by what the voice should get."""
        if self._pattern is None or not spoken:
            return spoken
        out: list[str] = []
        pos = 0
        for match in self._pattern.finditer(spoken):
            if match.start() < pos:
                continue  # inside trailing punctuation already taken by a phoneme block
            index = match.lastindex
            assert index is not None
            entry = self._by_group[index]
            possessive = match.group(index + 1) or ""
            before = spoken[pos : match.start()]
            pos = match.end()
            if entry.phonemes is None:
                out.extend((before, _say(entry), possessive))
                continue
            phonemes = entry.phonemes + (_possessive_phonemes(entry.phonemes) if possessive else "")
            weak = _weak_form(before, phonemes) if self.lang == "en" else None
            if weak:
                before, form = weak
                phonemes = f"{form} {phonemes}"
            trailing = _TRAILING.match(spoken, pos)
            closers = ""
            if trailing:
                closers, punct = trailing.groups()
                phonemes += punct
                pos = trailing.end()
            elif spoken.startswith("-", pos) and spoken[pos + 1 : pos + 2].isalpha():
                closers, pos = " ", pos + 1  # "Peskov-led": Piper would run the words together
            out.extend((before, f"[[{phonemes}]]{closers}"))
        out.append(spoken[pos:])
        # Piper would put two word gaps between neighbouring blocks; one block has one.
        return _NEIGHBOURS.sub(" ", "".join(out))


def _resolve_letters(entry: Entry, lang: str) -> Entry:
    """Spelled acronyms become the phonemes espeak-ng gives their dotted form (F.B.I.), so
    possessives and a following capital ("the W.H.O. Director") cannot split the sentence."""
    if not entry.letters or entry.phonemes is not None:
        return entry
    dotted = ".".join(entry.key.replace(" ", "")) + "."
    phonemes = espeak_dict.phonemize(dotted, lang).rstrip(".,;:!? ")
    return dataclasses.replace(entry, phonemes=phonemes)


def _weak_form(before: str, phonemes: str) -> tuple[str, str] | None:
    """(text before it, weak phonemes) when `before` ends with a function word to move."""
    found = _WEAK_BEFORE.search(before)
    if not found:
        return None
    word = found.group(1).lower()
    vowel = phonemes.lstrip("ˈˌ")[:1] in _VOWELS
    form = _WEAK_BEFORE_VOWEL.get(word) if vowel else _WEAK_FORMS.get(word)
    return (before[: found.start()], form) if form else None


def _say(entry: Entry) -> str:
    if entry.say is not None:
        return entry.say
    # letters = false: espeak-ng spells capitals it cannot pronounce, so give it "Unesco".
    return entry.key[:1] + entry.key[1:].lower()


def _possessive_phonemes(phonemes: str) -> str:
    """English 's after these phonemes: /s/ after voiceless stops and fricatives, /ᵻz/ after
    sibilants, else /z/ (the endings espeak-ng gives "cats", "roses", "dogs")."""
    core = phonemes.rstrip("ˈˌːˑ ")
    if core.endswith(_SIBILANTS):
        return "ᵻz"
    if core[-1:] in _VOICELESS:
        return "s"
    return "z"


def _compile(
    entries: Sequence[Entry], possessive: bool
) -> tuple[re.Pattern[str] | None, dict[int, Entry]]:
    """One alternation, longest keys first, two groups per entry: (whole match)(possessive)."""
    if not entries:
        return None, {}
    parts: list[str] = []
    groups: dict[int, Entry] = {}
    for number, entry in enumerate(sorted(entries, key=lambda e: (-len(e.key), e.key))):
        acronym = is_acronym(entry.key) and entry.key.isalnum()
        if not possessive:
            poss = "((?!))?"
        elif acronym:
            poss = f"([{APOSTROPHES}]?s)?"  # ICBMs, ICBM's, F-B-I's
        else:
            poss = f"([{APOSTROPHES}]s)?"
        key = _key_pattern(entry.key, acronym)
        if not entry.case_sensitive:
            key = f"(?i:{key})"
        if entry.whole_word:
            key = rf"(?<!\w){key}"
            tail = r"(?!\w)"
        else:
            tail = ""
        parts.append(f"({key}{poss}{tail})")
        groups[2 * number + 1] = entry
    return re.compile("|".join(parts)), groups


def _key_pattern(key: str, acronym: bool) -> str:
    """The key as a pattern; an acronym also matches the forms the normaliser writes for it:
    spelled (F.B.I, F-B-I) and, from five letters, capitalised (UNESCO → Unesco)."""
    if not acronym:
        return r"\s+".join(re.escape(word) for word in key.split())
    forms = ["[.-]?".join(re.escape(ch) for ch in key)]
    if len(key) >= 5:
        forms.append(re.escape(key[0] + key[1:].lower()))
    return "(?:" + "|".join(forms) + ")"


def is_acronym(word: str) -> bool:
    """Two or more letters, all capitals: ICBM, U.S."""
    letters = [ch for ch in word if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)
