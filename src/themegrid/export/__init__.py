"""Files for people: the Excel workbook and segment tables."""
