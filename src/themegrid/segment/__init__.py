"""Units to segments: speaker labels, interviewer inference, paragraphs and the one segment-id scheme."""
