"""Switches and fixtures shared by the suites under tests/."""

import os

import pytest

# The real-server fixtures are shared with the abuse and fault suites.
from tests.realserver.conftest import server_factory  # noqa: F401

FAULTS_SKIP_REASON = "slow fault-injection scenario: run it with `make faults` (RUN_FAULTS=1)"


def pytest_configure(config):
    config.addinivalue_line("markers", "faults: slow fault-injection scenario (runs only with RUN_FAULTS=1)")


def pytest_collection_modifyitems(config, items):
    """Keep the slow `faults` scenarios out of the default run; `make faults` sets RUN_FAULTS=1."""
    if os.environ.get("RUN_FAULTS") == "1":
        return
    skip = pytest.mark.skip(reason=FAULTS_SKIP_REASON)
    for item in items:
        if item.get_closest_marker("faults"):  # not `keywords`: it holds the package name too
            item.add_marker(skip)
