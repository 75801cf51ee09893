"""Where the third-party data sets live: ../shared/data beside the project, never in it.

A plain module (not conftest) so any test can import it unambiguously: several conftest.py
files exist in the tree, and `from conftest import ...` picks whichever was imported first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_data(name: str) -> Path:
    """A file of ../shared/data, or a skip naming what is missing."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data sets live beside the project")
    return path
