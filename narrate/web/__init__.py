"""Web: serving what narrate publishes."""
