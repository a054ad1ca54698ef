"""Attack tools for the DoS system tests, run inside the access namespace through
NetnsWorker.call (module-level functions). Every loop is bounded in count and in time, and
traffic only goes to the appliance's addresses inside the test's namespaces.
"""
from __future__ import annotations

import select
import socket
import ssl
import time


def options(n: int, src: str, transport: str = "UDP") -> bytes:
    return (f"OPTIONS sip:10.1.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport} {src}:5999;branch=z9hG4bK-flood{n}\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:flood@{src}>;tag=f{n}\r\n"
            f"To: <sip:10.1.0.1>\r\n"
            f"Call-ID: flood-{n}@{src}\r\n"
            f"CSeq: {n} OPTIONS\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


def udp_flood(src: str, target: tuple[str, int], count: int, first: int = 1,
              listen_s: float = 2.0) -> int:
    """Sends `count` OPTIONS datagrams from `src`, 25 at a time 2 ms apart (fast against a
    rate of tens per second, slow enough that no socket buffer overflows), then counts the
    answers that arrive within `listen_s` of the last one."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    answers = 0
    try:
        for n in range(first, first + count):
            s.sendto(options(n, src), target)
            if (n - first) % 25 == 24:
                time.sleep(0.002)
        deadline = time.monotonic() + listen_s
        while time.monotonic() < deadline and answers < count:
            ready, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            s.recv(65536)
            answers += 1
    finally:
        s.close()
    return answers


CONNECTIONS: list[socket.socket] = []


def connection_flood(src: str, target: tuple[str, int], count: int) -> int:
    """Opens up to `count` TCP connections from `src` and keeps them open (no TLS handshake).
    Returns how many connect() calls succeeded (the kernel completes them before sbcd looks)."""
    opened = 0
    for _ in range(count):
        try:
            CONNECTIONS.append(socket.create_connection(target, timeout=2,
                                                        source_address=(src, 0)))
            opened += 1
        except OSError:
            pass
    return opened


def connections_closed_by_peer(wait_s: float) -> int:
    """How many of the flood's connections the peer closed (EOF or reset) within `wait_s`."""
    deadline = time.monotonic() + wait_s
    closed: set[int] = set()
    while time.monotonic() < deadline and len(closed) < len(CONNECTIONS):
        for i, c in enumerate(CONNECTIONS):
            if i in closed:
                continue
            c.setblocking(False)
            try:
                if c.recv(4096) == b"":
                    closed.add(i)
            except BlockingIOError:
                pass
            except OSError:
                closed.add(i)
        time.sleep(0.05)
    for c in CONNECTIONS:
        c.close()
    CONNECTIONS.clear()
    return len(closed)


def tls_handshake(src: str, target: tuple[str, int], cafile: str) -> str:
    """'ok' when a TLS handshake from `src` completes, else what went wrong."""
    try:
        raw = socket.create_connection(target, timeout=3, source_address=(src, 0))
    except OSError as e:
        return f"connect: {e}"
    try:
        ctx = ssl.create_default_context(cafile=cafile)
        with ctx.wrap_socket(raw, server_hostname="sbc.local"):
            return "ok"
    except (OSError, ssl.SSLError) as e:
        return f"handshake: {type(e).__name__}"
    finally:
        raw.close()
