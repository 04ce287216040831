#!/usr/bin/env python3
"""Tiny identifying HTTP backend for the testbed.

usage: backend.py ADDRESS PORT NAME

GET /health answers 200 "ok"; GET /slow/<ms> answers NAME after that many milliseconds (a request
in flight); a GET with "Upgrade: websocket" becomes a WebSocket that echoes every text message as
"NAME: <message>" (RFC 6455, unfragmented frames); every other path answers 200 with NAME and the
path, so a test can tell which backend served a request. Threaded, HTTP/1.1 keep-alive.
"""
import base64
import hashlib
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The WebSocket's frames go out as they are written: with Nagle on, each echo would wait ~40 ms
    # for the delayed ACK (measured: 46 ms per request over one connection).
    disable_nagle_algorithm = True

    def do_GET(self):
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.websocket()
            return
        if self.path.startswith("/slow/"):
            time.sleep(int(self.path[len("/slow/"):]) / 1000)
            body = f"{NAME} {self.path}\n".encode()
        elif self.path == "/health":
            body = b"ok\n"
        else:
            body = f"{NAME} {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Backend", NAME)
        # Status line, headers and body in one write, as production servers send a small response
        # (Go's net/http, Tomcat and Node buffer them together). Two writes with Nagle off put them
        # in two segments: a site cut between the two tears the response after Caddy has forwarded
        # its headers, which no proxy can retry (docs/caddy.md, "A response torn by a cut").
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()

    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = struct.unpack(">H", self.rfile.read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
            if opcode == 8:
                self.frame(8, payload)
                return
            if opcode == 9:
                self.frame(10, payload)
            elif opcode in (1, 2):
                self.frame(opcode, f"{NAME}: ".encode() + payload)

    def frame(self, opcode, payload):
        n = len(payload)
        size = bytes([n]) if n < 126 else bytes([126]) + struct.pack(">H", n)
        self.wfile.write(bytes([0x80 | opcode]) + size + payload)
        self.wfile.flush()

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    address, port, NAME = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    # socketserver's default listen backlog is 5: a burst of new connections (every request retried
    # from a dead site at once) overflowed it and waited out SYN retransmits (1 s, 3 s), measured.
    # Real servers listen with hundreds (nginx 511, Go SOMAXCONN).
    ThreadingHTTPServer.request_queue_size = 512
    server = ThreadingHTTPServer((address, port), Handler)
    server.daemon_threads = True
    print(f"listening {address}:{port} as {NAME}", flush=True)
    server.serve_forever()
