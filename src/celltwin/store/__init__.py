"""The run store: every study recorded with its provenance (DuckDB), above the analyses."""
from .runs import RunComparison, RunStore, default_path, record_run, record_study

__all__ = ["RunStore", "RunComparison", "default_path", "record_run", "record_study"]
