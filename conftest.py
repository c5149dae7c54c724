"""Test configuration: deterministic hypothesis profiles.

``ci`` (selected when ``CI`` is set) and the default ``dev`` are derandomized
and bounded, so the README's test command is reproducible and fast;
``HYPOTHESIS_PROFILE=explore`` draws fresh random examples, more of them.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=40,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", derandomize=True, max_examples=40, deadline=None)
settings.register_profile("explore", max_examples=200, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
