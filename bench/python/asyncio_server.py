#!/usr/bin/env python3
"""The classic length-prefixed JSON ping server: asyncio streams, one task per connection.

Each message is a 4-byte little-endian length, then that many bytes of JSON. A request
{"in": "ping", "params": X} is answered {"out": "pong", "result": X}.

    python3 asyncio_server.py --port 0    # prints "listening on 127.0.0.1:PORT"
"""

import argparse
import asyncio
import socket

from ping import MAX_MESSAGE, answer, length


async def serve_connection(reader, writer):
    """Answers one connection's requests until the peer closes."""
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            size = length(await reader.readexactly(4))
            if size > MAX_MESSAGE:
                return
            body = await reader.readexactly(size)
            writer.write(answer(body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    args = parser.parse_args()
    server = await asyncio.start_server(serve_connection, "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    print("listening on 127.0.0.1:%d" % port, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
