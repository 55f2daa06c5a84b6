"""Speech text: cleaning, sentence splitting, spoken-form rules per language, lexicons."""
