"""Shared pytest configuration: keep hypothesis fast and deterministic on a 2-core CI box."""

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")
