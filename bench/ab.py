#!/usr/bin/env python3
"""Side by side: any servers and clients that speak the bench flags, interleaved, with the CPU
both sides spend per call.

run.py compares frameworks at fixed points; this compares builds or settings at one point, for
deciding a change by measurement. Each variant is LABEL|ENV|SERVER|CLIENT, where ENV is
space-separated NAME=VALUE pairs (may be empty) and SERVER and CLIENT are commands; every
repetition starts a fresh server pinned to core 0 and the client pinned to core 1, and the
variants take turns. The server command gets `--listen 127.0.0.1:0` and must print its address;
the client gets the address, then the shared client flags, then `--json`.

    python3 bench/ab.py --reps 5 --flags "--payload 64 --inflight 64 --duration 3 --warmup 0" \\
        "before||/tmp/ferry-before serve|/tmp/ferry-before bench" \\
        "after||target/release/ferry serve|target/release/ferry bench" \\
        "raw||bench/target/release/raw-server|bench/target/release/raw-client"

CPU per call is each process's utime + stime over the whole run divided by the measured calls:
a warm-up's CPU counts too, so pass `--warmup 0` when the CPU columns matter. The client's is
also split into user and kernel time: on loopback the kernel's part of a write includes
delivering it to the server (and waking it when idle), so it moves with the server's load as
much as with the client's own work.
"""

import argparse
import json
import os
import re
import resource
import shlex
import statistics
import subprocess

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime, usage.ru_stime


def run_once(variant, flags):
    label, env_text, server, client = variant.split("|")
    env = dict(os.environ, **dict(pair.split("=", 1) for pair in env_text.split()))
    command = ["taskset", "-c", "0", *shlex.split(server), "--listen", "127.0.0.1:0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env)
    try:
        address = re.search(r"127\.0\.0\.1:\d+", process.stdout.readline()).group(0)
        server_before, client_before = cpu_seconds(process.pid), children_cpu()
        output = subprocess.run(
            ["taskset", "-c", "1", *shlex.split(client), address, *shlex.split(flags), "--json"],
            capture_output=True, text=True, check=True, env=env).stdout
        server_cpu = cpu_seconds(process.pid) - server_before
        client_after = children_cpu()
        client_user = client_after[0] - client_before[0]
        client_sys = client_after[1] - client_before[1]
    finally:
        process.terminate()
        process.wait()
    report = json.loads(output)
    calls = report["calls"]
    return label, (report["rps"], report["p50_us"], server_cpu / calls * 1e6,
                   (client_user + client_sys) / calls * 1e6, client_user / calls * 1e6,
                   client_sys / calls * 1e6)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--flags", default="--duration 3 --warmup 0",
                        help="client flags shared by every variant")
    parser.add_argument("variants", nargs="+", help="LABEL|ENV|SERVER|CLIENT")
    args = parser.parse_args()
    results = {variant.split("|")[0]: [] for variant in args.variants}
    row = "{:14} {:>10} {:>8} {:>12} {:>12} {:>10} {:>10}"
    print(row.format("variant", "calls/s", "p50 us", "server us", "client us", "user", "sys"))
    for _ in range(args.reps):
        for variant in args.variants:
            label, figures = run_once(variant, args.flags)
            results[label].append(figures)
            print(row.format(label, *(f"{value:.0f}" for value in figures[:2]),
                             *(f"{value:.2f}" for value in figures[2:])), flush=True)
    print("medians:")
    for label, runs in results.items():
        medians = [statistics.median(column) for column in zip(*runs)]
        print(row.format(label, *(f"{value:.0f}" for value in medians[:2]),
                         *(f"{value:.2f}" for value in medians[2:])))


if __name__ == "__main__":
    main()
