"""What the three classic servers share: the ping protocol of the length-prefixed JSON dialect.

Each message is a 4-byte little-endian length, then that many bytes of JSON. A request
{"in": "ping", "params": X} is answered {"out": "pong", "result": X}. The servers differ only
in how they wait for sockets, which is what the comparison shows.
"""

import json
import struct

MAX_MESSAGE = 16 * 1024 * 1024


def length(header):
    """The body length a 4-byte header announces."""
    (size,) = struct.unpack("<I", header)
    return size


def answer(body):
    """The framed answer to one request body."""
    reply = json.dumps(_answer(body)).encode()
    return struct.pack("<I", len(reply)) + reply


def _answer(body):
    try:
        request = json.loads(body)
        method = request["in"]
    except (ValueError, TypeError, KeyError) as err:
        return {"out": "error", "error": {"status": "protocol", "message": str(err)}}
    if method != "ping":
        message = "no method %s on this server" % method
        return {"out": "error", "error": {"status": "unknown_method", "message": message}}
    return {"out": "pong", "result": request.get("params")}
