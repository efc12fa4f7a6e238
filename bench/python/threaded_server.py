#!/usr/bin/env python3
"""The classic length-prefixed JSON ping server: a thread per connection.

Each message is a 4-byte little-endian length, then that many bytes of JSON. A request
{"in": "ping", "params": X} is answered {"out": "pong", "result": X}.

    python3 threaded_server.py --port 0    # prints "listening on 127.0.0.1:PORT"
"""

import argparse
import socket
import socketserver

from ping import MAX_MESSAGE, answer, length


class PingHandler(socketserver.StreamRequestHandler):
    """Answers one connection's requests until the peer closes."""

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self):
        while True:
            header = self.rfile.read(4)
            if len(header) < 4:
                return
            size = length(header)
            if size > MAX_MESSAGE:
                return
            body = self.rfile.read(size)
            if len(body) < size:
                return
            self.wfile.write(answer(body))


class Server(socketserver.ThreadingTCPServer):
    """A thread per connection; threads die with the process."""

    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    args = parser.parse_args()
    with Server(("127.0.0.1", args.port), PingHandler) as server:
        print("listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
        server.serve_forever()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
