"""tag: ID3v2.4 metadata and CHAP/CTOC chapters, read back with mutagen and with ffmpeg."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mutagen.mp3
import pytest
from mutagen.id3 import ID3, CTOCFlags, PictureType

from narrate.article.cover import Cover
from narrate.audio import encode, master, tag, transcript
from narrate.config import AI_DISCLOSURE
from narrate.errors import AudioError
from narrate.models import ChapterMark, Script, Timeline
from tests.audio_helpers import RATE, deliveries, parse_vtt, probe, script_of, speak, tone

TITLES = ("Зеленський 🇺🇦 — 東京", "Why it matters", "What happens next: «Istanbul» & <more>")
# libmp3lame adds 1105 samples of delay plus up to one 576-sample frame of padding; ffmpeg trims
# them using the LAME header, mutagen counts whole frames.
PADDING_MS = (1105 + 576) * 1000 / RATE
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
COVER = Cover(PNG, "image/png")


def make_script(**meta: str) -> Script:
    defaults = {
        "title": "Zelensky Throws Down the Gauntlet to Putin",
        "url": "https://example.com/news/zelensky?x=1&y=2",
        "byline": "Jane Doe",
        "site": "Example News",
        "date": "2025-05-13",
        "lang": "en",
    }
    defaults.update(meta)
    return script_of(
        (TITLES[0], [("title", ["A title."]), ("narration", ["One.", "Two."])]),
        (TITLES[1], [("heading", ["Heading."]), ("narration", ["Three."])]),
        (TITLES[2], [("quote", ["Four."])]),
        **defaults,
    )


@pytest.fixture(scope="module")
def episode(tmp_path_factory: pytest.TempPathFactory) -> tuple[Script, Timeline, Path]:
    """A short tone episode encoded once; tests tag copies of it."""
    script = make_script()
    lengths = [[900], [700, 1100], [600], [1300], [800]]
    clips = [tuple(tone(ms) for ms in seg) for seg in lengths]
    timeline = master.assemble(
        script, clips, deliveries(heading=(700, 400, 0), narration=(0, 0, 250))
    )
    path = tmp_path_factory.mktemp("tag") / "episode.mp3"
    encode.encode(timeline, path)
    return script, timeline, path


@pytest.fixture
def mp3(episode: tuple[Script, Timeline, Path], tmp_path: Path) -> Path:
    copy = tmp_path / "episode.mp3"
    shutil.copyfile(episode[2], copy)
    return copy


def test_metadata_frames(episode: tuple[Script, Timeline, Path], mp3: Path) -> None:
    script, timeline, _ = episode
    tag.write_tags(mp3, script, timeline, cover=COVER)
    tags = ID3(mp3)
    assert tags.version == (2, 4, 0)
    assert tags["TIT2"].text == [script.title]
    assert tags["TPE1"].text == ["Jane Doe"]
    assert tags["TALB"].text == ["Example News"]
    assert str(tags["TDRC"].text[0]) == "2025-05-13"
    assert tags["TLAN"].text == ["eng"]
    assert tags["TLEN"].text == [str(timeline.duration_ms)]
    assert tags["WOAS"].url == script.url
    assert tags.getall("WXXX")[0].url == script.url
    assert tags.getall("COMM")[0].text == [AI_DISCLOSURE]
    assert tags["TXXX:AI_GENERATED"].text == [AI_DISCLOSURE]
    cover = tags.getall("APIC")[0]
    assert (cover.mime, cover.type, cover.data) == ("image/png", PictureType.COVER_FRONT, PNG)


def test_chapters_read_back_with_mutagen(episode: tuple[Script, Timeline, Path], mp3: Path) -> None:
    script, timeline, _ = episode
    tag.write_tags(mp3, script, timeline)
    tags = ID3(mp3)
    toc = tags["CTOC:toc"]
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    assert toc.child_element_ids == ["chp0", "chp1", "chp2"]
    read = []
    for element_id in toc.child_element_ids:
        chap = tags[f"CHAP:{element_id}"]
        read.append((chap.sub_frames["TIT2"].text[0], chap.start_time, chap.end_time))
    assert read == [(m.title, m.start_ms, m.end_ms) for m in timeline.chapters]
    assert [t for t, _, _ in read] == list(TITLES)
    assert read[0][1] == 0 and read[-1][2] == timeline.duration_ms


def test_ffmpeg_reads_chapters_rate_and_duration(
    episode: tuple[Script, Timeline, Path], mp3: Path
) -> None:
    script, timeline, _ = episode
    tag.write_tags(mp3, script, timeline)
    seen = probe(mp3)
    assert (seen.sample_rate, seen.channels) == (RATE, "mono")
    assert seen.chapters == tuple((m.start_ms, m.end_ms, m.title) for m in timeline.chapters)
    assert seen.duration_s * 1000 == pytest.approx(timeline.duration_ms, abs=50)
    info = mutagen.mp3.MP3(mp3).info
    assert (info.sample_rate, info.channels) == (RATE, 1)
    assert timeline.duration_ms - 50 <= info.length * 1000 <= timeline.duration_ms + 50 + PADDING_MS


def test_many_chapters_stay_in_order_for_ffmpeg(
    episode: tuple[Script, Timeline, Path], mp3: Path
) -> None:
    script, timeline, _ = episode
    step = timeline.duration_ms // 12
    # Titles of varied length: mutagen orders frames by size, the file must not.
    marks = [ChapterMark("x" * ((i * 7) % 13 + 1), i * step, (i + 1) * step) for i in range(12)]
    tag.write_tags(mp3, script, marks)
    assert probe(mp3).chapters == tuple((m.start_ms, m.end_ms, m.title) for m in marks)
    assert ID3(mp3)["CTOC:toc"].child_element_ids == [f"chp{i}" for i in range(12)]


def test_rewriting_replaces_every_frame(episode: tuple[Script, Timeline, Path], mp3: Path) -> None:
    script, timeline, _ = episode
    tag.write_tags(mp3, script, timeline, cover=COVER)
    fewer = (ChapterMark("All of it", 0, timeline.duration_ms),)
    tag.write_tags(mp3, make_script(byline=None, site=None, url=None, date=None), fewer)
    tags = ID3(mp3)
    assert [f.element_id for f in tags.getall("CHAP")] == ["chp0"]
    assert tags["CTOC:toc"].child_element_ids == ["chp0"]
    for gone in ("APIC", "TPE1", "TALB", "TDRC", "WOAS", "WXXX"):
        assert not tags.getall(gone), gone
    assert tags["TLEN"].text == [str(timeline.duration_ms)]
    assert mutagen.mp3.MP3(mp3).info.sample_rate == RATE  # audio intact


def test_artist_falls_back_to_site_and_unknown_language_is_left_out(
    episode: tuple[Script, Timeline, Path], mp3: Path
) -> None:
    _, timeline, _ = episode
    tag.write_tags(mp3, make_script(byline=None, lang="xx"), timeline, cover=COVER)
    tags = ID3(mp3)
    assert tags["TPE1"].text == ["Example News"]
    assert not tags.getall("TLAN")
    assert tags.getall("COMM")[0].lang == "und"
    assert tags.getall("APIC")[0].mime == "image/png"


@pytest.mark.parametrize(
    ("lang", "code"),
    [("en", "eng"), ("EN-us", "eng"), ("uk", "ukr"), ("pt_BR", "por"), ("zh", "zho"),
     ("deu", "deu"), ("xx", None), ("", None)],
)  # fmt: skip
def test_language_code(lang: str, code: str | None) -> None:
    assert tag.language_code(lang) == code


def test_unwritable_file_is_an_audio_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "x.mp3"
    with pytest.raises(AudioError, match="cannot write tags"):
        tag.write_tags(missing, make_script(), [ChapterMark("x", 0, 10)])


@pytest.mark.slow
def test_id3_chapters_json_and_vtt_agree(tmp_path: Path) -> None:
    """The acceptance check the pipeline relies on, with real speech."""
    script = script_of(
        ("Zelensky Throws Down the Gauntlet", [("title", ["Zelensky throws down the gauntlet."])]),
        ("Why It Matters", [("heading", ["Why it matters."]), ("narration", ["Talks resume."])]),
        url="https://example.com/a",
    )
    clips = [tuple(speak(s.text) for s in seg.sentences) for seg in script.segments]
    timeline = master.assemble(script, clips, deliveries(heading=(700, 400, 0)))
    mp3 = tmp_path / "a.mp3"
    encode.encode(timeline, mp3)
    tag.write_tags(mp3, script, timeline)
    chapters = json.loads(transcript.render_chapters_json(timeline.chapters, script))["chapters"]
    cues = parse_vtt(transcript.render_vtt(timeline.cues))
    id3 = ID3(mp3)
    chaps = [id3[f"CHAP:{i}"] for i in id3["CTOC:toc"].child_element_ids]

    assert [(c.start_time, c.end_time) for c in chaps] == [
        (round(c["startTime"] * 1000), round(c["endTime"] * 1000)) for c in chapters
    ]
    assert [c.sub_frames["TIT2"].text[0] for c in chaps] == [c["title"] for c in chapters]
    # Every chapter after the first starts exactly on its first cue; cues stay inside the audio.
    assert {c.start_time for c in chaps[1:]} <= {c.start_ms for c in cues}
    assert cues[-1].end_ms < chaps[-1].end_time == timeline.duration_ms
    assert probe(mp3).duration_s * 1000 == pytest.approx(timeline.duration_ms, abs=50)
