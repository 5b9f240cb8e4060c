"""A real HTTP token endpoint + metadata server on 127.0.0.1 backed by the emulator's TokenAuthority.

Independent of the emulator app: a stdlib server thread that calls the authority's handlers directly, so
google-auth talks to it over real sockets exactly as it would to Google.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest

from router.emulator.oauth import METADATA_FLAVOR, TokenAuthority


@dataclass
class TokenServer:
    authority: TokenAuthority
    base_url: str
    host: str
    answer_400: bool = False

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"


def _handler(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if server.answer_400:
                status, payload = 400, {"error": "invalid_grant", "error_description": "account disabled"}
            else:
                status, payload = server.authority.handle_token_request(body, self.headers.get("content-type", ""))
            self._reply(status, orjson.dumps(payload), "application/json")

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            status, body, content_type = server.authority.handle_metadata(path, query, dict(self.headers.items()))
            self._reply(status, body, content_type, metadata=True)

        def _reply(self, status: int, body: bytes, content_type: str, *, metadata: bool = False) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            if metadata:
                self.send_header(*METADATA_FLAVOR)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    authority = TokenAuthority()
    state = TokenServer(authority=authority, base_url="", host="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    host = f"127.0.0.1:{httpd.server_address[1]}"
    state.host, state.base_url = host, f"http://{host}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def sa_file(token_server: TokenServer, tmp_path: Path) -> Path:
    path = tmp_path / "sa.json"
    token_server.authority.write_credentials(path, token_uri=token_server.token_uri, project_id="proj-e2e")
    return path


@pytest.fixture
def dead_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
