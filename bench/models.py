#!/usr/bin/env python3
"""ferry serve's server models side by side: each model and thread count under ferry bench, with
server and client sharing both cores (what `ferry serve` gets by default), interleaved rounds,
medians.

    python3 bench/models.py target/release/ferry --rounds 5

Every round runs every load against every model in turn, each with a fresh server on
127.0.0.1; the server's CPU per call is its utime + stime (/proc/PID/stat) over the run.
"""

import argparse
import json
import os
import re
import statistics
import subprocess

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MODELS = [
    ("multi-thread --threads 1", ["--model", "multi-thread", "--threads", "1"]),
    ("multi-thread --threads 2", ["--model", "multi-thread", "--threads", "2"]),
    ("thread-per-core --threads 2", ["--model", "thread-per-core", "--threads", "2"]),
]
LOADS = [("1x64", ["--conns", "1", "--inflight", "64"]),
         ("8x16", ["--conns", "8", "--inflight", "16"])]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def run_once(ferry, model_flags, load_flags, duration):
    shared = ["taskset", "-c", "0,1", ferry]
    server = subprocess.Popen([*shared, "serve", "--listen", "127.0.0.1:0", *model_flags],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        address = re.search(r"127\.0\.0\.1:\d+", server.stdout.readline()).group(0)
        before = cpu_seconds(server.pid)
        output = subprocess.run(
            [*shared, "bench", address, *load_flags, "--duration", str(duration),
             "--warmup", "0", "--json"], capture_output=True, text=True, check=True).stdout
        spent = cpu_seconds(server.pid) - before
    finally:
        server.terminate()
        server.wait()
    report = json.loads(output)
    return report["rps"], report["p50_us"], report["p99_us"], spent / report["calls"] * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ferry", help="the ferry binary")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=3.0)
    args = parser.parse_args()
    results = {}
    for _ in range(args.rounds):
        for load, load_flags in LOADS:
            for model, model_flags in MODELS:
                figures = run_once(args.ferry, model_flags, load_flags, args.duration)
                results.setdefault((load, model), []).append(figures)
    print("| load | server | calls/s | p50 | p99 | server CPU/call |")
    print("|---|---|---:|---:|---:|---:|")
    for (load, model), runs in results.items():
        rps, p50, p99, cpu = (statistics.median(column) for column in zip(*runs))
        print(f"| {load} | {model} | {rps:,.0f} | {p50:.0f} µs | {p99:.0f} µs | {cpu:.2f} µs |")


if __name__ == "__main__":
    main()
