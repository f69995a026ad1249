"""Free loopback ports for tests that start servers of their own."""

from __future__ import annotations

import random
import socket


def free_port_pair() -> int:
    """A port P with P and P + 1 both free now (the two cameras' web UIs)."""
    for _ in range(200):
        port = random.randint(20000, 60000)
        socks = []
        try:
            for p in (port, port + 1):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no two consecutive free ports")
