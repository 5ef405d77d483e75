"""A local stand-in for Supabase's Management API: http.server in a thread, JSON answers.

The real API needs a hosted project; each test's handler answers from the real test server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REF = "abcdefghijklmnopqrst"  # Supabase refs are 20 lowercase letters
TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567"
#: The variables sync-schema reads to choose a database: tests clear them, so the developer's
#: shell cannot change a test.
SUPABASE_ENV = (
    "SUPABASE_DB_URL",
    "DATABASE_URL",
    "SUPABASE_PROJECT_ID",
    "SUPABASE_ACCESS_TOKEN",
    "SUPABASE_DB_PASSWORD",
    "SUPABASE_URL",
    "SUPABASE_API_URL",
)


class JsonHandler(BaseHTTPRequestHandler):
    """A handler that answers JSON and logs nothing (the tests keep their own log)."""

    def send_json(self, status: int, data: bytes) -> None:
        """Answer `status` with the JSON bytes `data`."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads its own log instead."""


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free local port in a thread; yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
