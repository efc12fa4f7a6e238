#!/usr/bin/env python3
"""The classic length-prefixed JSON ping server: one thread, one connection at a time.

Each message is a 4-byte little-endian length, then that many bytes of JSON. A request
{"in": "ping", "params": X} is answered {"out": "pong", "result": X}. While one client is
connected, every other client waits in the accept queue.

    python3 blocking_server.py --port 0    # prints "listening on 127.0.0.1:PORT"
"""

import argparse
import json
import socket
import struct

MAX_MESSAGE = 16 * 1024 * 1024


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


def answer(body):
    """The answer body for one request body."""
    try:
        request = json.loads(body)
        method = request["in"]
    except (ValueError, TypeError, KeyError) as err:
        return {"out": "error", "error": {"status": "protocol", "message": str(err)}}
    if method != "ping":
        message = "no method %s on this server" % method
        return {"out": "error", "error": {"status": "unknown_method", "message": message}}
    return {"out": "pong", "result": request.get("params")}


def serve_connection(conn):
    """Answers requests until the peer closes or sends a length over the limit."""
    while True:
        header = recv_exactly(conn, 4)
        if header is None:
            return
        (length,) = struct.unpack("<I", header)
        if length > MAX_MESSAGE:
            return
        body = recv_exactly(conn, length)
        if body is None:
            return
        reply = json.dumps(answer(body)).encode()
        conn.sendall(struct.pack("<I", len(reply)) + reply)


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
