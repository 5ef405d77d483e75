"""The end-to-end lane runs once, on the default server: the command line behaves the same on
every PostgreSQL version, which the server lane covers one by one."""

from __future__ import annotations

import pytest

from sync_schema.embedded.server import TempServer


@pytest.fixture(scope="session")
def pg_server(default_server: TempServer) -> TempServer:
    """The default server (the embedded wheel's), shared with the other lanes."""
    return default_server
