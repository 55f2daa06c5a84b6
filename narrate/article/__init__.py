"""Article: fetch a page, extract the story, segment it into the narration script."""
