"""One sentence to render, as the synthesis engine receives it: no heavy imports here."""

from __future__ import annotations

from dataclasses import dataclass

from narrate.audio.voices import VoiceModel, resolve_model
from narrate.errors import VoiceError
from narrate.models import Delivery


@dataclass(frozen=True)
class Job:
    """One sentence to render: everything a worker needs, picklable."""

    model: VoiceModel
    onnx: str
    """The file to load: the model, or its copy patched to give alignments."""
    aligned: bool
    delivery: Delivery
    text: str
    parts: tuple[tuple[Delivery, str], ...] = ()
    """For a sentence with an inline quotation: each role's delivery and words; text joins them."""


def model_for(delivery: Delivery) -> VoiceModel:
    """The model a delivery names, refused when its speaker id does not exist."""
    model = resolve_model(delivery.model)
    sid = delivery.speaker_id
    if sid is not None and not 0 <= sid < max(model.num_speakers, 1):
        raise VoiceError(
            f"speaker_id {sid} is out of range for {model.name} ({model.num_speakers} speaker(s))"
        )
    return model
