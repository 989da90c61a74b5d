"""Helpers behind the CCTV-density notebooks: data, densities, scenarios, figures, runner."""

__version__ = "0.1.0"
