"""Reviews: reports on commitments, their review, summaries, calendars and evidence."""
