"""``bench/support/loadgen.py``'s keep-alive client against a real HTTP/1.1 server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.support.loadgen import BadAnswer, KeepAlive


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/close":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        answer = json.dumps({
            "path": self.path, "body": json.loads(body), "port": self.client_address[1],
            "prefer": self.headers.get("Prefer"),
        }).encode()  # fmt: skip
        self.send_response(202 if self.path == "/accepted" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.send_header("Retry-After", "2")
        self.end_headers()
        self.wfile.write(answer)
        if self.path == "/then-close":  # closed once answered, without saying so
            self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_posts_on_one_connection_and_reads_status_headers_and_body(server: str) -> None:
    with KeepAlive.to(server) as http:
        first = http.post("/accepted", b'{"n": 1}', {"Prefer": "respond-async"})
        second = http.post("/v1/assets", json.dumps({"n": 2}).encode())
    assert first.status == 202
    assert first.headers["retry-after"] == "2"
    assert first.headers["content-type"] == "application/json"
    one = json.loads(first.body)
    assert one["path"] == "/accepted"
    assert one["body"] == {"n": 1}
    assert one["prefer"] == "respond-async"
    two = json.loads(second.body)
    assert second.status == 200
    assert two["body"] == {"n": 2}
    assert two["prefer"] is None
    assert two["port"] == one["port"]  # the same connection, kept alive


def test_a_connection_the_server_closed_is_an_error_and_the_next_post_reconnects(
    server: str,
) -> None:
    with KeepAlive.to(server) as http:
        with pytest.raises(BadAnswer, match="closed the connection"):
            http.post("/close", b"{}")
        answer = http.post("/after", b'{"again": true}')
    assert answer.status == 200
    assert json.loads(answer.body)["body"] == {"again": True}


def test_a_kept_alive_connection_the_server_closed_while_idle_is_opened_again(
    server: str,
) -> None:
    with KeepAlive.to(server) as http:
        first = json.loads(http.post("/then-close", b'{"n": 1}').body)
        second = http.post("/after", b'{"n": 2}')
    assert second.status == 200
    again = json.loads(second.body)
    assert again["body"] == {"n": 2}
    assert again["port"] != first["port"]  # a new connection
