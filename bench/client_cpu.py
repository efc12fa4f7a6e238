#!/usr/bin/env python3
"""Client CPU time per call for ferry, tarpc and the raw echo, side by side.

run.py reports the server's CPU per call; this reports the client's, which decides the rate when
the server is cheaper than its client. Each framework: a fresh server on core 0, its client on
core 1 (the same load engine in all three), closed loop, CPU from getrusage(RUSAGE_CHILDREN).

    python3 bench/client_cpu.py --bin-dir bench/target/release --ferry-bin target/release/ferry
"""

import argparse
import json
import re
import resource
import subprocess


def start_server(command):
    server = subprocess.Popen(
        ["taskset", "-c", "0", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    address = re.search(r"127\.0\.0\.1:\d+", server.stdout.readline()).group(0)
    return server, address


def run_client(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(
        ["taskset", "-c", "1", *command], capture_output=True, text=True, check=True
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    report = json.loads(output)
    return report["rps"], cpu / report["calls"] * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", default="bench/target/release")
    parser.add_argument("--ferry-bin", default="target/release/ferry")
    parser.add_argument("--conns", default="1")
    parser.add_argument("--inflight", default="64")
    parser.add_argument("--payload", default="64")
    parser.add_argument("--duration", default="3")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    flags = ["--conns", args.conns, "--inflight", args.inflight, "--payload", args.payload,
             "--duration", args.duration, "--warmup", "0", "--json"]
    listen = ["--listen", "127.0.0.1:0"]
    frameworks = [
        ("ferry", [args.ferry_bin, "serve", *listen], [args.ferry_bin, "bench"]),
        ("tarpc", [f"{args.bin_dir}/tarpc-server", *listen], [f"{args.bin_dir}/tarpc-client"]),
        ("raw", [f"{args.bin_dir}/raw-server", *listen], [f"{args.bin_dir}/raw-client"]),
    ]
    for rep in range(args.reps):
        for name, server_command, client_command in frameworks:
            server, address = start_server(server_command)
            try:
                rps, cpu = run_client([*client_command, address, *flags])
            finally:
                server.terminate()
                server.wait()
            print(f"rep {rep + 1} {name:6} {rps:10.0f} calls/s  client CPU {cpu:5.2f} us/call",
                  flush=True)


if __name__ == "__main__":
    main()
