#!/usr/bin/env python3
"""Bytes on the wire per call, by the server's own counters (/metrics), for `ferry bench` runs
with and without --compress against one `ferry serve` (server on core 0, client on core 1),
interleaved. Usage: compression.py FERRY "BENCH FLAGS" [REPS]"""
import json, re, subprocess, sys, urllib.request

FERRY = sys.argv[1]
FLAGS = sys.argv[2].split()
REPS = int(sys.argv[3]) if len(sys.argv) > 3 else 3

def counters(address):
    text = urllib.request.urlopen(f"http://{address}/metrics").read().decode()
    get = lambda name: float(re.search(rf"^{name} (\S+)$", text, re.M).group(1))
    return get("ferry_server_received_bytes_total"), get("ferry_server_sent_bytes_total")

server = subprocess.Popen(["taskset", "-c", "0", FERRY, "serve", "--listen", "127.0.0.1:0"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
address = re.search(r"127\.0\.0\.1:\d+", server.stdout.readline()).group(0)
try:
    rows = {"off": [], "on": []}
    for _ in range(REPS):
        for label, extra in (("off", []), ("on", ["--compress"])):
            before = counters(address)
            out = subprocess.run(["taskset", "-c", "1", FERRY, "bench", address, *FLAGS, *extra,
                                  "--json"], capture_output=True, text=True, check=True).stdout
            after = counters(address)
            report = json.loads(out)
            calls = report["calls"]
            rows[label].append((report["rps"], (after[0] - before[0]) / calls,
                                (after[1] - before[1]) / calls, report["calls"]))
    for label, runs in rows.items():
        for rps, inb, outb, calls in runs:
            print(f"{label:4} {rps:>10.0f} calls/s  in {inb:>9.0f} B/call  out {outb:>9.0f} B/call  ({calls} calls)")
finally:
    server.terminate()
    server.wait()
