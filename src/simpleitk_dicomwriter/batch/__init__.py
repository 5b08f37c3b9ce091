"""Many series at once: a manifest of jobs, a local process pool, a Dask cluster."""

from .run import BatchReport, write_batch

__all__ = ["BatchReport", "write_batch"]
