"""Imports: stakeholders from a spreadsheet, with row checks and limits on what a file may cost."""
