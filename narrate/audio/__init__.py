"""Audio: voices, Piper synthesis, the clip cache, mastering, ID3 tags and transcripts."""
