#!/usr/bin/env python3
"""UDP relay that delays one direction, for the testbed (netem is not available on this kernel).

usage: delay_relay.py OUTER HUB INNER WG MIN_MS MAX_MS     (addresses as IP:PORT)

Runs inside a site's namespace, between the site's WireGuard socket (WG) and the hub (HUB):
  - the site's WireGuard sends to INNER (its peer endpoint is set there); each datagram is held a
    uniformly random MIN_MS..MAX_MS, then sent from OUTER to HUB (so every answer of the site --
    SYN-ACKs, HTTP answers, keepalives, handshakes -- arrives late; datagrams may overtake each
    other, as with any per-packet jitter);
  - the hub sends to OUTER (its peer endpoint is set there); each datagram goes from INNER to WG
    at once.
Only datagrams from WG (on INNER) and from HUB (on OUTER) are relayed; others are dropped.
Bounded: at most 10,000 datagrams held (beyond that, new ones are dropped and counted).
Prints "relaying ..." once both sockets are bound; on SIGTERM/SIGINT prints its counters and
exits 0.
"""
import heapq
import random
import selectors
import signal
import socket
import sys
import time

MAX_HELD = 10_000


def addr(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def main(argv):
    if len(argv) != 7:
        print(__doc__, file=sys.stderr)
        return 2
    outer, hub, inner, wg = (addr(a) for a in argv[1:5])
    lo_ms, hi_ms = int(argv[5]), int(argv[6])
    if not 0 <= lo_ms <= hi_ms <= 10_000:
        print("want 0 <= MIN_MS <= MAX_MS <= 10000", file=sys.stderr)
        return 2

    outer_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    outer_sock.bind(outer)
    outer_sock.setblocking(False)
    inner_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    inner_sock.bind(inner)
    inner_sock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(outer_sock, selectors.EVENT_READ, "down")
    sel.register(inner_sock, selectors.EVENT_READ, "up")

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    held = []  # heap of (due, seq, datagram): site -> hub
    seq = 0
    counts = {"up": 0, "down": 0, "dropped": 0, "foreign": 0, "send_errors": 0}
    print(
        f"relaying {inner[0]}:{inner[1]} -> {hub[0]}:{hub[1]} (+{lo_ms}-{hi_ms} ms), "
        f"{outer[0]}:{outer[1]} -> {wg[0]}:{wg[1]} (at once)",
        flush=True,
    )
    while not stop:
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, data = heapq.heappop(held)
            try:
                outer_sock.sendto(data, hub)
                counts["up"] += 1
            except OSError:
                counts["send_errors"] += 1
        timeout = 0.1 if not held else max(0.0, min(0.1, held[0][0] - time.monotonic()))
        for key, _ in sel.select(timeout):
            sock = key.fileobj
            while True:
                try:
                    data, src = sock.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    counts["send_errors"] += 1  # e.g. ICMP port unreachable reported on recv
                    break
                if key.data == "up":
                    if src != wg:
                        counts["foreign"] += 1
                    elif len(held) >= MAX_HELD:
                        counts["dropped"] += 1
                    else:
                        due = time.monotonic() + random.uniform(lo_ms, hi_ms) / 1000
                        heapq.heappush(held, (due, seq, data))
                        seq += 1
                else:
                    if src != hub:
                        counts["foreign"] += 1
                        continue
                    try:
                        inner_sock.sendto(data, wg)
                        counts["down"] += 1
                    except OSError:
                        counts["send_errors"] += 1
    print(f"stopped: {counts}, {len(held)} still held", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
