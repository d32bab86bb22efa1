"""The plugin's tests drive an inner pytest run: the ``pytester`` fixture, for this directory's tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # The effect of ``pytest_plugins = ["pytester"]``, which pytest refuses in a conftest below the rootdir
    # when the whole suite is collected.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")
