"""Tests for sentence splitting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from narrate.speech.clean import clean
from narrate.speech.sentences import split_sentences

SPLIT_CASES = [
    ("en", "One. Two. Three.", ["One.", "Two.", "Three."]),
    ("en", "Is it? Yes! Fine.", ["Is it?", "Yes!", "Fine."]),
    ("en", "The U.S. President spoke.", ["The U.S. President spoke."]),
    (
        "en",
        "He went to the U.S. The next day he left.",
        ["He went to the U.S.", "The next day he left."],
    ),
    ("en", "The U.K. Foreign Office said so.", ["The U.K. Foreign Office said so."]),
    ("en", "Dr. Smith met Mr. Jones and Mrs. Brown.", ["Dr. Smith met Mr. Jones and Mrs. Brown."]),
    ("en", "Ms. Lee and St. Louis and Gen. Milley.", ["Ms. Lee and St. Louis and Gen. Milley."]),
    (
        "en",
        "Sen. Warren, Rep. Smith and Gov. Newsom.",
        ["Sen. Warren, Rep. Smith and Gov. Newsom."],
    ),
    (
        "en",
        "Prof. Lee won No. 5 on Jan. 5 this year.",
        ["Prof. Lee won No. 5 on Jan. 5 this year."],
    ),
    ("en", "Team vs. Team. Next.", ["Team vs. Team.", "Next."]),
    ("en", "Fruit, e.g. Apples, i.e. Red ones.", ["Fruit, e.g. Apples, i.e. Red ones."]),
    ("en", "At 9 a.m. Eastern the market opened.", ["At 9 a.m. Eastern the market opened."]),
    ("en", "It ended at 5 p.m. The crowd left.", ["It ended at 5 p.m.", "The crowd left."]),
    ("en", "Apple Inc. CEO Tim Cook spoke.", ["Apple Inc. CEO Tim Cook spoke."]),
    ("en", "Acme Ltd. Was sold. Acme Corp. Too.", ["Acme Ltd. Was sold.", "Acme Corp. Too."]),
    ("en", "Donald J. Trump won.", ["Donald J. Trump won."]),
    ("en", "J.K. Rowling wrote it.", ["J.K. Rowling wrote it."]),
    ("en", "Growth was 4.5 percent. It fell.", ["Growth was 4.5 percent.", "It fell."]),
    ("en", "He waited... and waited. Then left.", ["He waited... and waited.", "Then left."]),
    ("en", "He paused… Nobody moved.", ["He paused… Nobody moved."]),
    (
        "en",
        'He said: "It is over. We won." Then he left.',
        ['He said: "It is over. We won."', "Then he left."],
    ),
    ("en", "She said “Stop. Now.” He did.", ["She said “Stop. Now.”", "He did."]),
    ("en", 'He asked "Why?" and left.', ['He asked "Why?" and left.']),
    ("en", '"Go!" she said. Fine.', ['"Go!" she said.', "Fine."]),
    (
        "en",
        'A "quote that never closes. Still splits.',
        ['A "quote that never closes.', "Still splits."],
    ),
    ("en", "It rose (see above.) Then fell.", ["It rose (see above.)", "Then fell."]),
    ("en", "He said no. Then he left.", ["He said no.", "Then he left."]),
    ("en", "Section 5.2 applies. Done.", ["Section 5.2 applies.", "Done."]),
    ("en", "lower. case follows", ["lower. case follows"]),
    ("en", "Visit example.com. It works.", ["Visit example.com.", "It works."]),
    ("en", "It was 2022. In 2023 it changed.", ["It was 2022.", "In 2023 it changed."]),
    ("en-US", "Mr. Smith. Yes.", ["Mr. Smith.", "Yes."]),
    ("de", "Das ist z.B. gut. Dr. Müller kam.", ["Das ist z.B. gut.", "Dr. Müller kam."]),
    ("de", "Am 3. Mai kam er. Er ging.", ["Am 3. Mai kam er.", "Er ging."]),
    ("de", "Es gab Obst usw. Die Leute aßen.", ["Es gab Obst usw.", "Die Leute aßen."]),
    ("de", "Er wohnt in Nr. 5 bzw. Nr. 6 hier.", ["Er wohnt in Nr. 5 bzw. Nr. 6 hier."]),
    ("es", "El Sr. García llegó. La Sra. López no.", ["El Sr. García llegó.", "La Sra. López no."]),
    ("es", "¿Qué pasa? ¡Nada!", ["¿Qué pasa?", "¡Nada!"]),
    ("es", "Viven en EE.UU. Desde hace años.", ["Viven en EE.UU. Desde hace años."]),
    ("xx", "Unknown. Language.", ["Unknown.", "Language."]),
    ("en", "", []),
    ("en", "No punctuation at all", ["No punctuation at all"]),
]


@pytest.mark.parametrize(("lang", "text", "expected"), SPLIT_CASES)
def test_split_sentences(lang: str, text: str, expected: list[str]) -> None:
    assert split_sentences(text, lang) == expected


_TOKENS = [
    "The", "U.S.", "Dr.", "Mr.", "J.", "said", "it.", "Then", "4.5", "won.\"", "\"It", "over.",
    "…", "...", "Why?", "Go!", "(see", "above.)", "e.g.", "No.", "5", "Jan.", "“Stop.", "Now.”",
    "z.B.", "¿Qué", "pasa?", "EE.UU.", "a.m.", "Inc.", "'", "\"", "«", "»", "„", "“",
]  # fmt: skip


@given(
    st.one_of(
        st.text(),
        st.lists(st.sampled_from(_TOKENS), max_size=30).map(" ".join),
    ),
    st.sampled_from(["en", "de", "es", "fr", "xx"]),
)
def test_split_rejoins_exactly(text: str, lang: str) -> None:
    cleaned = clean(text)
    parts = split_sentences(cleaned, lang)
    assert " ".join(parts) == cleaned
    assert all(parts)
    assert all(p == p.strip() for p in parts)
