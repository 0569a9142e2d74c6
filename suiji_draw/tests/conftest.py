"""Test helpers for the sampling engine: plain pytest, no database, no web framework."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture
def settings():
    """A stand-in for the Django ``settings`` fixture inside this package's tests.

    The project-wide conftest has autouse fixtures that adjust Django settings; these tests use
    no Django at all, and must also run with the Django plugin disabled (``-p no:django``), so
    here those fixtures receive a plain object and change nothing that matters.
    """
    return SimpleNamespace()
