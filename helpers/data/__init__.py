"""The data layer: reading, validating and cleaning the raw inputs (the article's figures, city tables, scenarios.yml).

Imports nothing from `helpers.analysis`, `helpers.report` or `helpers.pipeline`.
"""
