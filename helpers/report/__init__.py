"""The report: figures, tables, headline numbers, the sensitivity step's files, the gathered outputs and notebook
03's explorer.

Imports `helpers.analysis` and `helpers.data`, never `helpers.pipeline`.
"""
