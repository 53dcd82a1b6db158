"""Round trips with other tools: review sheets, coded spreadsheets, REFI-QDA."""
