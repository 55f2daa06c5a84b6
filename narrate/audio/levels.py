"""Loudness known before the first clip: each voice's level, measured once, stored by fingerprint.

Piper's output level is a property of the model and of the delivery's pitch and gain, not of
the text (its own peak normalisation is off), so a reference passage measured once predicts
an episode's loudness from how much of the script each delivery speaks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from narrate.audio import encode
from narrate.audio.cache import ClipCache
from narrate.audio.executor import Executor
from narrate.audio.job import model_for
from narrate.audio.voices import Profile
from narrate.files import write_text_atomic
from narrate.models import ROLES, Chapter, Delivery, Role, Script, Segment, Sentence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Level:
    """How loud one delivery speaks."""

    lufs: float
    """Integrated loudness with no gain."""
    limiter_loss: float
    """LU the peak limiter takes once it is gained to the target."""


PASSAGE = (
    "The council met on Tuesday evening to discuss the new budget for the coming year.",
    "Officials said the plan would cut waiting times, though critics called it too modest.",
)
"""Read by each voice to measure it: ordinary news prose, about ten seconds."""
VERSION = 1
"""Bumped when the passage or the measurement changes."""
_LEVEL_FIELDS = ("speaker_id", "pitch_semitones", "gain_db")
"""What changes a delivery's level; pace and noise do not (they change the timing only)."""
_SHIPPED = "levels.json"
"""Levels of the bundled profiles' voices, measured by scripts/calibrate.py."""


def level_key(delivery: Delivery) -> str:
    """Which measurement a delivery's level is: its model and the settings that change level."""
    fields = [VERSION, model_for(delivery).fingerprint]
    fields += [getattr(delivery, name) for name in _LEVEL_FIELDS]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:32]


def levels(
    profile: Profile, cache: ClipCache, executor: Executor | None = None
) -> dict[Role, Level]:
    """Each role's Level: shipped with narrate, cached, or measured now (once)."""
    keys = {role: level_key(profile.delivery(role)) for role in ROLES}
    known = {**shipped(), **_cached(cache)}
    missing = sorted({k for k in keys.values() if k not in known})
    if missing:
        measured = measure(profile, cache, executor, only=set(missing))
        _store(cache, measured)
        known.update(measured)
    return {role: known[key] for role, key in keys.items()}


def gain_db(script: Script, profile_levels: Mapping[Role, Level]) -> float:
    """The gain that brings this script, spoken, to the target loudness after the limiter.

    The episode's loudness is the power mean of its roles' levels, weighted by how much each
    says (characters stand in for time); the limiter's loss is weighted alike.
    """
    spoken: dict[Role, int] = {}
    for segment in script.segments:
        chars = sum(len(s.spoken) for s in segment.sentences)
        spoken[segment.role] = spoken.get(segment.role, 0) + chars
    total = sum(spoken.values()) or 1
    share = {role: n / total for role, n in spoken.items()}
    power = sum(w * 10 ** (profile_levels[r].lufs / 10) for r, w in share.items())
    loss = sum(w * profile_levels[r].limiter_loss for r, w in share.items())
    return encode.gain_to(10 * math.log10(power), loss) if power > 0 else 0.0


def shipped() -> dict[str, Level]:
    """Levels measured for the bundled voices, so that a first run need not measure."""
    file = resources.files("narrate.profiles").joinpath(_SHIPPED)
    if not file.is_file():
        return {}
    text = file.read_text(encoding="utf-8")
    return {k: Level(**v) for k, v in json.loads(text)["levels"].items()}


def _folder(cache: ClipCache) -> Path:
    return cache.root / "levels"


def _cached(cache: ClipCache) -> dict[str, Level]:
    found = {}
    for path in _folder(cache).glob("*.json"):
        try:
            found[path.stem] = Level(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            log.debug("ignoring an unreadable level file %s", path)
    return found


def _store(cache: ClipCache, measured: Mapping[str, Level]) -> None:
    for key, level in measured.items():
        write_text_atomic(_folder(cache) / f"{key}.json", json.dumps(asdict(level)) + "\n")


def measure(
    profile: Profile,
    cache: ClipCache,
    executor: Executor | None = None,
    only: set[str] | None = None,
) -> dict[str, Level]:
    """Speak the passage once per distinct level of the profile's roles (or `only` those)."""
    from narrate.audio.synthesize import synthesize

    first: dict[str, Role] = {}
    for role in ROLES:
        key = level_key(profile.delivery(role))
        if only is None or key in only:
            first.setdefault(key, role)
    segments = tuple(
        Segment(role, tuple(Sentence(t, t) for t in PASSAGE)) for role in first.values()
    )
    script = Script("levels", (Chapter("levels", segments),))
    log.info("measuring the loudness of %d voice setting(s) once", len(segments))
    clips = synthesize(script, profile, cache=cache, executor=executor)
    measured = (
        encode.measure_level(np.concatenate([c.samples for c in seg]), seg[0].sample_rate)
        for seg in clips
    )
    return {
        key: Level(round(lufs, 2), round(loss, 2))
        for key, (lufs, loss) in zip(first, measured, strict=True)
    }
