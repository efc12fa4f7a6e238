"""Python's standard xmlrpc.client, strict about types, against a ferry server's /RPC2:
bytes and datetimes sent to functions that take any value come back as bytes and datetimes.
Prints one JSON object of what it saw; argv[1] is the /RPC2 URL."""

import datetime
import json
import socket
import sys
import xmlrpc.client

socket.setdefaulttimeout(20)
url = sys.argv[1]
builtin = xmlrpc.client.ServerProxy(url, use_builtin_types=True, allow_none=True)
classic = xmlrpc.client.ServerProxy(url, allow_none=True)


def outcome(call):
    try:
        return {"result": call()}
    except xmlrpc.client.Fault as fault:
        return {"faultCode": fault.faultCode, "faultString": fault.faultString}


def described(value):
    """A value as JSON can show it, with its Python type."""
    if isinstance(value, (bytes, xmlrpc.client.Binary)):
        data = value if isinstance(value, bytes) else value.data
        return [type(value).__name__, list(data)]
    if isinstance(value, datetime.datetime):
        return [type(value).__name__, value.isoformat()]
    if isinstance(value, xmlrpc.client.DateTime):
        return [type(value).__name__, value.value]
    if isinstance(value, list):
        return [described(item) for item in value]
    if isinstance(value, dict):
        return {name: described(item) for name, item in value.items()}
    return [type(value).__name__, value]


data = b"\x00\x01\xff"
moment = datetime.datetime(2024, 5, 1, 12, 34, 56)
nested = {"list": [data, moment, 7, "text", None], "inner": {"blob": data, "at": [moment]}}

multi = xmlrpc.client.MultiCall(builtin)
multi.test.echo(data)
multi.test.echo(moment)
multi_results = list(multi())

print(json.dumps({
    "bytes": described(builtin.test.echo(data)),
    "time": described(builtin.test.echo(moment)),
    "nested": described(builtin.test.echo(nested)),
    "nested_equal": builtin.test.echo(nested) == nested,
    "classic": [
        described(classic.test.echo(xmlrpc.client.Binary(data))),
        described(classic.test.echo(xmlrpc.client.DateTime(moment))),
    ],
    "seen_by_handler": [builtin.test.kind(data), builtin.test.kind(moment), builtin.test.kind("AAH/")],
    "multicall": [described(result) for result in multi_results],
    "typed_time_result": described(builtin.test.at(1714566896)),
    "typed_time_param": builtin.test.seconds(moment),
    "vec_u8_param": builtin.test.length(data),
    "bad_time": outcome(lambda: builtin.test.echo(xmlrpc.client.DateTime("not a time"))),
    "bad_time_to_json_value": outcome(lambda: classic.test.identity(xmlrpc.client.DateTime("not a time"))),
    "json_value_shapes": [classic.test.identity(xmlrpc.client.Binary(b"hi")),
                          classic.test.identity(xmlrpc.client.DateTime(moment))],
}))
