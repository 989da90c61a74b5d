"""The report: figures, tables, headline numbers, the gathered outputs and notebook 03's explorer.

Imports `helpers.analysis` and `helpers.data`, never `helpers.pipeline`.
"""
