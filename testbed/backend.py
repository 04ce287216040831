#!/usr/bin/env python3
"""Tiny identifying HTTP backend for the testbed.

usage: backend.py ADDRESS PORT NAME

GET /health answers 200 "ok"; every other path answers 200 with NAME and the path, so a test can
tell which backend served a request. WebSocket-free, threaded, HTTP/1.1 keep-alive.
"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, keep-alive requests wait ~40 ms
    # for the delayed ACK (measured: 46 ms per request over one connection).
    disable_nagle_algorithm = True

    def do_GET(self):
        body = b"ok\n" if self.path == "/health" else f"{NAME} {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Backend", NAME)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    address, port, NAME = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    server = ThreadingHTTPServer((address, port), Handler)
    server.daemon_threads = True
    print(f"listening {address}:{port} as {NAME}", flush=True)
    server.serve_forever()
