"""Makes a known number of calls on each HTTP dialect and the length-prefixed one, then reads
/metrics with the Prometheus project's own Python parser and prints, as JSON, the count of every
rpc_server_call_duration_seconds series by "service.method status dialect"."""

import json
import socket
import struct
import sys
import urllib.request
import xmlrpc.client

from prometheus_client.parser import text_string_to_metric_families

ADDRESS = sys.argv[1]
BASE = f"http://{ADDRESS}"


def post(path, body):
    request = urllib.request.Request(BASE + path, data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def jsonrpc():
    for i in range(3):
        post("/jsonrpc", {"jsonrpc": "2.0", "id": i, "method": "calc.add", "params": [i, 1]})
    post("/jsonrpc", {"jsonrpc": "2.0", "id": 9, "method": "calc.divide", "params": [1, 0]})


def xmlrpc_calls():
    proxy = xmlrpc.client.ServerProxy(BASE + "/RPC2")
    for i in range(2):
        assert proxy.calc.add(i, 2) == i + 2


def rest():
    for i in range(4):
        assert post("/api/calc/add", [i, 3]) == 200
    assert post("/api/calc/add", {"a": "not a number", "b": 1}) == 400


def lpjson():
    with socket.create_connection(tuple(ADDRESS.rsplit(":", 1)), timeout=20) as sock:
        for i in range(5):
            body = json.dumps({"in": "calc.add", "params": [i, 4]}).encode()
            sock.sendall(struct.pack("<I", len(body)) + body)
            length = struct.unpack("<I", read_exact(sock, 4))[0]
            answer = json.loads(read_exact(sock, length))
            assert answer == {"out": "add", "result": i + 4}, answer


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, "the server closed early"
        data += chunk
    return data


def counts():
    with urllib.request.urlopen(BASE + "/metrics", timeout=20) as response:
        text = response.read().decode()
    found = {}
    for family in text_string_to_metric_families(text):
        if family.name != "rpc_server_call_duration_seconds":
            continue
        for sample in family.samples:
            if sample.name.endswith("_count"):
                labels = sample.labels
                key = "{}.{} {} {}".format(labels["rpc_service"], labels["rpc_method"],
                                          labels["rpc_status"], labels["dialect"])
                found[key] = sample.value
    return found


if sys.argv[2] == "calls":
    jsonrpc()
    xmlrpc_calls()
    rest()
    lpjson()
print(json.dumps(counts()))
