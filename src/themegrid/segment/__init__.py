"""Units to segments: speaker lexicon, label patterns, interviewer inference, paragraphs, segment ids."""
