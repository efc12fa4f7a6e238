#!/usr/bin/env python3
"""Writes the hand-made seeds of every fuzz target into fuzz/corpus/<target>/seed-*.

The seeds are meaningful inputs (a valid request of each kind, edge cases) that the fuzzer
starts from; what a fuzz run adds is minimized with `cargo fuzz cmin` and kept beside them.
Run from anywhere: python3 fuzz/seeds.py
"""
import os
import struct

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def frame(kind, call_id, body, flags=0):
    return struct.pack(">IBBI", len(body), kind, flags, call_id) + body


def short(text):
    return struct.pack(">H", len(text)) + text


def request(call_id, method, body, deadline=None, metadata=()):
    flags = 0
    rest = short(method)
    if deadline is not None:
        flags |= 1
        rest += struct.pack(">I", deadline)
    if metadata:
        flags |= 2
        rest += struct.pack(">H", len(metadata))
        for key, value in metadata:
            rest += short(key) + short(value)
    return frame(0x01, call_id, rest + body, flags)


PREFACE = b"FERRY\0\x01\x02" + struct.pack(">I", 1 << 20)


def decode_frames():
    frames = [
        request(1, b"echo.ping", b'["hi"]'),
        request(2, b"calc.add", b"[1,2]", deadline=1500, metadata=[(b"user", b"alice")]),
        frame(0x02, 1, b"\x00" + b'"hi"'),  # response, ok
        frame(0x03, 2, b""),  # cancel
        frame(0x04, 0, struct.pack(">Q", 7)),  # ping
        frame(0x05, 0, struct.pack(">Q", 7)),  # pong
        frame(0x06, 9, b"\x07" + b"shutting down"),  # goaway
        frame(0x07, 3, b"part", flags=1) + frame(0x07, 3, b"end"),  # stream items
        frame(0x08, 3, b"\x00"),  # stream end
        frame(0x09, 3, struct.pack(">I", 65536)),  # credit
        frame(0x0A, 4, b"\x06"),  # refused
    ]
    seeds = {
        "all-kinds": b"\x80" + PREFACE + b"".join(frames),
        "split-in-preface": b"\x03" + PREFACE + frames[0],
        "oversize-then-ping": b"\xff" + b"FERRY\0\x01\x01" + struct.pack(">I", 16)
        + frame(0x01, 1, b"x" * 40) + frames[4],
        "bad-magic": b"\x00FERRX\0\x01\x01\x00\x00\x10\x00",
        "unknown-kind": b"\x40" + PREFACE + frame(0x7F, 1, b"??") + frames[3],
        "metadata-count-lies": b"\x40" + PREFACE + frame(0x01, 1, short(b"m") + b"\xff\xff", 2),
    }
    return seeds


def stream_frames():
    item = lambda body, more=False: frame(0x07, 1, body, flags=1 if more else 0)
    credit = lambda n: frame(0x09, 1, struct.pack(">I", n))
    return {
        "items-and-takes": b"\x3f\x0f" + item(b'"a"') + item(b"x" * 100, True)
        + item(b"y" * 100) + credit(1) + credit(5) + item(b""),
        # Two items past the smallest window (one fragment and a frame's cost, 65,616 bytes).
        "overrun": b"\x00\x00" + item(b"z" * 33000) + item(b"z" * 33000),
        "item-too-large": b"\xff\x00" + item(b"q" * 3000, True) + item(b"q" * 3000),
        "empty-items": b"\x00\xff" + item(b"") * 50 + credit(50),
    }


def sniff():
    return {
        "native": PREFACE,
        "tls-client-hello": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(32),
        "http-get": b"GET / HTTP/1.1\r\nhost: x\r\n\r\n",
        "http-query-method": b"QUERY /api HTTP/1.1\r\n",
        "http2-preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "http-connect": b"CONNECT host:443 HTTP/1.1\r\n",
        "lpjson": b'\x0e\x00\x00\x00{"in": "ping"}',
        "lpjson-like-tls": b'\x16\x03\x01\x00{"in":"x"}',
        "ssh": b"SSH-2.0-OpenSSH_9.2\r\n",
        "long-token": b"A" * 33 + b" /",
    }


def lp(body):
    return struct.pack("<I", len(body)) + body


def lpjson():
    return {
        "ping": b"\x80" + lp(b'{"in": "ping", "params": "ireader 0"}'),
        "named-and-meta": b"\x10" + lp(b'{"in": "a.twice", "params": {"n": 2}, "meta": {"user": "alice"}}')
        + lp(b'{"in": "echo.ping", "params": ["x"]}'),
        "ambiguous": b"\xff" + lp(b'{"in": "twice", "params": [1]}'),
        "meta-not-text": b"\x00" + lp(b'{"in": "ping", "meta": {"n": 1}}'),
        "not-json": b"\x20" + lp(b"\xff\xfe") + lp(b"[1,2]"),
        "oversize": b"\x02" + b"\xff\xff\xff\xff{",
    }


def jsonrpc_request():
    return {
        "positional": b'{"jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":1}',
        "named": b'{"jsonrpc":"2.0","method":"m","params":{"a":1},"id":"x"}',
        "notification": b'{"jsonrpc":"2.0","method":"m"}',
        "batch": b'[{"jsonrpc":"2.0","method":"m","id":1}, 1, {"jsonrpc":"2.0","method":"n"}]',
        "empty-batch": b"[]",
        "bad-version": b'{"jsonrpc":"1.0","method":"m","id":7}',
        "truncated": b'{"jsonrpc": "2.0", "method"',
        "deep": b"[" * 200 + b"]" * 200,
    }


def xmlrpc_parse():
    decl = b'<?xml version="1.0"?>'
    value = (b"<value><struct><member><name>a</name><value><int>1</int></value></member>"
             b"<member><name>b</name><value><array><data><value><string>x &amp; y</string></value>"
             b"<value><boolean>1</boolean></value><value><double>-1.5</double></value>"
             b"<value><base64>aGk=</base64></value><value><dateTime.iso8601>20260101T00:00:00"
             b"</dateTime.iso8601></value><value><i8>9000000000</i8></value><value><nil/></value>"
             b"<value>bare text</value></data></array></value></member></struct></value>")
    return {
        "call": decl + b"<methodCall><methodName>calc.add</methodName><params><param>"
        + b"<value><i4>1</i4></value></param><param>" + value + b"</param></params></methodCall>",
        "call-no-params": b"<methodCall><methodName>system.listMethods</methodName></methodCall>",
        "response": decl + b"<methodResponse><params><param>" + value
        + b"</param></params></methodResponse>",
        "fault": b"<methodResponse><fault><value><struct><member><name>faultCode</name><value>"
        b"<int>4</int></value></member><member><name>faultString</name><value><string>Too many"
        b"</string></value></member></struct></value></fault></methodResponse>",
        "dtd": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><methodCall>'
        b"<methodName>&a;</methodName></methodCall>",
        "char-refs": b"<methodCall><methodName>m</methodName><params><param><value><string>"
        b"&#13;&#x41;&lt;</string></value></param></params></methodCall>",
        "deep": b"<methodResponse><params><param>" + b"<value><array><data>" * 70
        + b"</data></array></value>" * 70 + b"</param></params></methodResponse>",
    }


def rest_args():
    return {
        "body-object": b"\x00" + b'{"a": 2, "b": 3}',
        "body-array": b"\x02" + b"[1, 2]",
        "body-blank": b"\x00" + b"  \n",
        "body-scalar": b"\x00" + b"7",
        "body-form": b"\x04" + b"a=1&b=2",
        "body-text": b"\x06" + b"hello",
        "query": b"\x01" + b"text=12&n=3",
        "query-escapes": b"\x01" + b"text=a+b%20c&n=%5B1%5D&flag",
        "query-twice": b"\x01" + b"n=1&n=2",
        "query-bad-utf8": b"\x01" + b"text=%ff",
    }


def range_():
    size = lambda n: struct.pack(">Q", n)
    return {
        "from": size(10) + b"bytes=4-",
        "from-to": size(10) + b"bytes=2-500",
        "suffix": size(10) + b"bytes=-3",
        "past-end": size(10) + b"bytes=10-20",
        "empty-file": size(0) + b"bytes=0-",
        "several": size(10) + b"bytes=0-1,4-5",
        "if-range-same": size(10) + b'bytes=5-\n"v1"',
        "if-range-other": size(10) + b'bytes=5-\n"old"',
        "huge": size(2**64 - 1) + b"bytes=18446744073709551614-",
        "etags": size(1) + b'W/"v1", "v2"',
    }


def traceparent():
    return {
        "sampled": b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "with-state": b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00\nrojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        "future-version": b"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what",
        "zero-trace": b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "upper-case": b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
    }


TARGETS = {
    "decode_frames": decode_frames,
    "stream_frames": stream_frames,
    "sniff": sniff,
    "lpjson": lpjson,
    "jsonrpc_request": jsonrpc_request,
    "xmlrpc_parse": xmlrpc_parse,
    "rest_args": rest_args,
    "range": range_,
    "traceparent": traceparent,
}

if __name__ == "__main__":
    for target, seeds in TARGETS.items():
        folder = os.path.join(CORPUS, target)
        os.makedirs(folder, exist_ok=True)
        for name, data in seeds().items():
            with open(os.path.join(folder, f"seed-{name}"), "wb") as out:
                out.write(data)
        print(f"{target}: {len(seeds())} seeds")
