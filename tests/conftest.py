"""Shared test settings: the repository root on sys.path and where ../shared lives."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT))

from hypothesis import settings  # noqa: E402

# Shared, noisy machines: no per-example deadline (speed is measured by benchmarks, not tests).
settings.register_profile("newsline", deadline=None, max_examples=100)
settings.load_profile("newsline")
