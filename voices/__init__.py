"""Voice profiles and lexicons, shipped inside the package as `narrate.profiles`."""
