"""Auditioning a voice profile: one phrase in one role's voice, and a check of every role."""

from __future__ import annotations

from narrate.audio.engine import local_engine
from narrate.audio.job import Job, model_for
from narrate.audio.synthesize import synthesize
from narrate.audio.voices import Profile
from narrate.errors import NarrateError
from narrate.models import ROLES, Chapter, Clip, Role, Script, Segment, Sentence

CHECK_TEXT = "Testing, one two three."


def say(text: str, profile: Profile, role: Role = "narration") -> Clip:
    """One piece of text in one role's voice, synthesised in this process (for auditioning)."""
    line = Segment(role, (Sentence(text, text),))
    [(clip,)] = synthesize(Script(title=text, chapters=(Chapter(text, (line,)),)), profile)
    return clip


def check_profile(profile: Profile) -> list[tuple[Role, bool, str]]:
    """For each role: can its model be found, loaded and made to speak (with its pitch shift)?"""
    rows: list[tuple[Role, bool, str]] = []
    engine = local_engine()
    for role in ROLES:
        d = profile.delivery(role)
        try:
            model = model_for(d)
            clip = engine.render(Job(model, str(model.onnx), False, d, CHECK_TEXT))
        except NarrateError as exc:
            rows.append((role, False, str(exc)))
            continue
        settings = [f"{model.name} ({model.language}, {model.sample_rate} Hz)"]
        if d.length_scale is not None:
            settings.append(f"length ×{d.length_scale:g}")
        if d.pitch_semitones:
            settings.append(f"pitch {d.pitch_semitones:+g} st")
        if d.gain_db:
            settings.append(f"gain {d.gain_db:+g} dB")
        settings.append(f"{clip.duration_ms / 1000:.1f} s test phrase")
        rows.append((role, True, ", ".join(settings)))
    return rows
