"""The pipeline: the step table, the batch runner (`python -m helpers.run`), kernels, publishing, sweeps."""
