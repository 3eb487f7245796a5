"""Shared pytest set-up: the repository root on sys.path so tests can import tests.landing."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Property tests (hypothesis): CI runs a fixed, derandomised profile with bounded examples so
# the suite stays fast and a failure reproduces exactly; locally, HYPOTHESIS_PROFILE=thorough
# searches far longer with fresh randomness (see README, "Tests").
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("ci", max_examples=60, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
import os  # noqa: E402

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
