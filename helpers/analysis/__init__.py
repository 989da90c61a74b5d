"""The analysis: densities, the claims audit and its verdicts, editions, scenarios, sensitivity.

Imports only `helpers.data` (and the shared `helpers.paths`, `helpers.errors`, `helpers.params`, `helpers.atomic`).
"""
