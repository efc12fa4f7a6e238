#!/usr/bin/env python3
"""The classic length-prefixed JSON ping server: one thread, one connection at a time.

Each message is a 4-byte little-endian length, then that many bytes of JSON. A request
{"in": "ping", "params": X} is answered {"out": "pong", "result": X}. While one client is
connected, every other client waits in the accept queue.

    python3 blocking_server.py --port 0    # prints "listening on 127.0.0.1:PORT"
"""

import argparse
import socket

from ping import MAX_MESSAGE, answer, length


def recv_exactly(conn, size):
    """Returns exactly `size` bytes, or None if the peer closed first."""
    chunks = []
    while size:
        chunk = conn.recv(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def serve_connection(conn):
    """Answers requests until the peer closes or sends a length over the limit."""
    while True:
        header = recv_exactly(conn, 4)
        if header is None:
            return
        size = length(header)
        if size > MAX_MESSAGE:
            return
        body = recv_exactly(conn, size)
        if body is None:
            return
        conn.sendall(answer(body))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    args = parser.parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(128)
    print("listening on 127.0.0.1:%d" % listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            try:
                serve_connection(conn)
            except OSError:
                pass


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
