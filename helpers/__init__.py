"""Helpers behind the CCTV-density notebooks: data, densities, scenarios, figures, runner."""

import warnings

# tqdm.auto (imported by dependencies) warns inside Jupyter when ipywidgets is absent; the warning
# carries the path of the virtual environment into executed notebooks, which must be machine-free.
warnings.filterwarnings("ignore", message="IProgress not found")

__version__ = "0.1.0"
