#!/usr/bin/env python3
"""Streaming bandwidth side by side: ferry's streams, tonic's gRPC streams and a raw TCP pipe,
one way each (down: server to client, up: client to server), with medians and ratios.

Builds nothing. First build the bench binaries once, and ferry in the main workspace:

    cd bench && cargo build --release -p tonic-stream -p raw-pipe
    cargo build --release -p ferry-cli

Each target's server starts once, on its own 127.0.0.1 port, pinned to CPU 0 (taskset -c 0);
every client runs pinned to CPU 1 (taskset -c 1). The runs are interleaved: for each round, for
each target in turn (ferry, tonic, raw), one run down, then one run up. Each run is one
connection and one stream for --duration seconds; its client reports MB/s (10^6 bytes per
second of payload, counted by the receiving side) and items/s as one JSON line.

The raw pipe runs twice: `raw` reads and writes --raw-chunk bytes (1 MiB) per system call, the
most this machine's loopback moves, which is the ceiling the ratios use; `raw-item` makes one
system call per --chunk item, as a sender that writes each item on its own would, which at
64 KiB is a fraction of it (a framework that coalesces items can beat `raw-item`).

    ferry: `ferry serve` and `ferry bench ADDR --stream down|up --chunk N --duration Ts --json`
    tonic: `tonic-stream-server` and `tonic-stream-client ADDR --direction down|up ...`
    raw:   `raw-pipe-server` and `raw-pipe-client ADDR --direction down|up ...`

Every server listens on 127.0.0.1 only and is stopped when the run ends, also on Ctrl-C.
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
TARGETS = ["ferry", "tonic", "raw", "raw-item"]
# Which server each target runs against: both raw targets share one.
SERVER_OF = {"ferry": "ferry", "tonic": "tonic", "raw": "raw", "raw-item": "raw"}
DIRECTIONS = ["down", "up"]
# The binaries of the targets other than ferry, in --bin-dir.
BINARIES = {
    "tonic": ("tonic-stream-server", "tonic-stream-client"),
    "raw": ("raw-pipe-server", "raw-pipe-client"),
}

ADDRESS = re.compile(r"(127\.0\.0\.1:\d+)")
SERVER_START_TIMEOUT = 15.0
SERVER_STOP_TIMEOUT = 3.0
# How long past its duration a client may take to report before it counts as stalled.
CLIENT_GRACE = 30.0

# Every process started and not yet reaped, so an interrupted run leaves none behind.
LIVE = []


class BenchError(Exception):
    """A run that cannot go on; the message says what to do."""


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5, at least 5)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per run (5)")
    parser.add_argument("--chunk", type=int, default=65536, help="bytes per item (65536)")
    parser.add_argument("--raw-chunk", type=int, default=1 << 20,
                        help="bytes per read and write of the raw ceiling (1048576)")
    parser.add_argument("--skip-raw-item", action="store_true",
                        help="leave out the raw pipe at one system call per item")
    parser.add_argument("--skip-ferry", action="store_true",
                        help="measure tonic and raw only (ferry's column shows as pending)")
    parser.add_argument("--json", type=Path, metavar="OUT",
                        help="also write every run and median to this JSON file")
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    add_binary_args(parser)
    args = parser.parse_args(argv)
    if args.rounds < 5:
        parser.error("--rounds must be at least 5: fewer make a median worth little")
    if args.duration <= 0 or args.chunk < 1 or args.raw_chunk < 1:
        parser.error("--duration must be more than 0, --chunk and --raw-chunk at least 1")
    return args


def add_binary_args(parser):
    """The flags saying where the binaries are and how to pin them (shared with files.py)."""
    parser.add_argument("--bin-dir", type=Path, default=default_bin_dir(),
                        help="where the bench binaries are (default: $CARGO_TARGET_DIR/release "
                             "or bench/target/release)")
    parser.add_argument("--ferry-bin", type=Path, default=BENCH_DIR.parent / "target" / "release"
                        / "ferry", help="the ferry binary (default: ../target/release/ferry)")
    parser.add_argument("--server-cpus", default="0", help="taskset CPU list of servers (0)")
    parser.add_argument("--client-cpus", default="1", help="taskset CPU list of clients (1)")
    parser.add_argument("--no-pin", action="store_true", help="run without taskset")


def default_bin_dir():
    target = os.environ.get("CARGO_TARGET_DIR")
    return Path(target) / "release" if target else BENCH_DIR / "target" / "release"


# ---------------------------------------------------------------------------------------------
# Processes


def spawn(command, output):
    """Starts `command` writing stdout and stderr to the file `output`; tracked until reaped."""
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output,
                               stderr=subprocess.STDOUT)
    LIVE.append(process)
    return process


def stop(process):
    """Stops `process`: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process in LIVE:
        LIVE.remove(process)


def stop_all():
    for process in list(LIVE):
        stop(process)


def pinned(cpus, command, settings):
    """`command` as strings, behind taskset unless --no-pin."""
    command = [str(part) for part in command]
    return command if settings.no_pin else ["taskset", "-c", cpus] + command


class Server:
    """A server started once and kept for every round, with the log it writes."""

    def __init__(self, name, command, settings):
        self.name = name
        self.log = tempfile.NamedTemporaryFile("w+", prefix="stream-%s-" % name, suffix=".log")
        self.process = spawn(pinned(settings.server_cpus, command, settings), self.log)
        self.address = self.wait_for_address()

    def wait_for_address(self):
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            found = ADDRESS.search(self.text())
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                raise BenchError("%s server exited (%s) before listening:\n%s"
                                 % (self.name, self.process.returncode, self.text().strip()))
            time.sleep(0.02)
        raise BenchError("%s server printed no address within %ss"
                         % (self.name, SERVER_START_TIMEOUT))

    def text(self):
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def check_alive(self):
        if self.process.poll() is not None:
            raise BenchError("%s server exited (%s) mid-run:\n%s"
                             % (self.name, self.process.returncode, self.text().strip()[-2000:]))

    def close(self):
        stop(self.process)
        self.log.close()


def run_client(name, command, settings, timeout, fields=()):
    """Runs a client to the end; its JSON report (all of its output, or else its last line that
    is an object), which must have `fields`; or BenchError with what it printed."""
    command = pinned(settings.client_cpus, command, settings)
    with tempfile.TemporaryFile("w+") as output:
        client = spawn(command, output)
        try:
            client.wait(timeout)
        except subprocess.TimeoutExpired:
            stop(client)
            raise BenchError("%s client gave no report within %.0fs: %s"
                             % (name, timeout, " ".join(command)))
        LIVE.remove(client)
        output.seek(0)
        text = output.read()
    if client.returncode != 0:
        raise BenchError("%s client failed (%s): %s\n%s"
                         % (name, client.returncode, " ".join(command), text.strip()))
    report = json_report(text)
    if report is None:
        raise BenchError("%s client printed no JSON report:\n%s" % (name, text.strip()))
    missing = [field for field in fields if not isinstance(report.get(field), (int, float))]
    if missing:
        raise BenchError("%s client's report has no number %s: %s"
                         % (name, ", ".join(missing), json.dumps(report)))
    return report


def json_report(text):
    """The JSON object a client printed: the whole output (pretty-printed or not), or the last
    line that parses as one (after lines for people)."""
    candidates = [text.strip()] + [line.strip() for line in reversed(text.strip().splitlines())]
    for candidate in candidates:
        if candidate.startswith("{"):
            try:
                report = json.loads(candidate)
            except ValueError:
                continue
            if isinstance(report, dict):
                return report
    return None


# ---------------------------------------------------------------------------------------------
# Targets


def duration_flag(seconds):
    """`5`, `0.5`: seconds, the form `ferry bench` takes, and the bench clients too."""
    return "%g" % seconds


def server_command(name, settings):
    if name == "ferry":
        return [settings.ferry_bin, "serve", "--listen", "127.0.0.1:0"]
    return [settings.bin_dir / BINARIES[name][0], "--listen", "127.0.0.1:0"]


def chunk_of(name, settings):
    """Bytes per item (per system call for the raw pipe)."""
    return settings.raw_chunk if name == "raw" else settings.chunk


def client_command(name, address, direction, settings):
    shared = ["--chunk", str(chunk_of(name, settings)),
              "--duration", duration_flag(settings.duration), "--json"]
    if name == "ferry":
        # No warmup: the other clients have none, and every run counts from its start.
        return [settings.ferry_bin, "bench", address, "--stream", direction,
                "--warmup", "0"] + shared
    binary = BINARIES[SERVER_OF[name]][1]
    return [settings.bin_dir / binary, address, "--direction", direction] + shared


def ferry_has(ferry_bin, subcommand, flag):
    """Whether `ferry SUBCOMMAND --help` exists and mentions `flag` (None: any help at all)."""
    try:
        done = subprocess.run([str(ferry_bin), subcommand, "--help"], capture_output=True,
                              text=True, timeout=30)
    except OSError:
        return False
    if done.returncode != 0:
        return False
    return flag is None or flag in done.stdout


def check_binaries(names, settings):
    """Every binary exists; taskset and two CPUs when pinning."""
    kinds = sorted({SERVER_OF[name] for name in names} & set(BINARIES))
    missing = [str(settings.bin_dir / binary) for kind in kinds
               for binary in BINARIES[kind] if not (settings.bin_dir / binary).is_file()]
    if missing:
        raise BenchError("missing: %s\nbuild them first: cd %s && cargo build --release "
                         "-p tonic-stream -p raw-pipe (or pass --bin-dir)"
                         % (", ".join(missing), BENCH_DIR))
    if not settings.no_pin:
        if not shutil.which("taskset"):
            raise BenchError("taskset is not installed (util-linux); install it or pass --no-pin")
        if (os.cpu_count() or 1) < 2:
            raise BenchError("pinning needs 2 CPUs; this machine has 1: pass --no-pin")


def check_ferry_streams(settings):
    if not settings.ferry_bin.is_file():
        raise BenchError("no ferry binary at %s: build it (cargo build --release -p ferry-cli), "
                         "pass --ferry-bin, or pass --skip-ferry to measure tonic and raw alone"
                         % settings.ferry_bin)
    if not ferry_has(settings.ferry_bin, "bench", "--stream"):
        raise BenchError("%s has no `ferry bench --stream`: this ferry predates streaming. "
                         "Rebuild it from a tree with streams, or pass --skip-ferry to measure "
                         "tonic and raw alone" % settings.ferry_bin)


# ---------------------------------------------------------------------------------------------
# Rounds


def measure(settings, names):
    """Every round, every target, both directions, interleaved; the runs per target and way."""
    runs = {name: {way: [] for way in DIRECTIONS} for name in names}
    servers = {}
    try:
        for kind in dict.fromkeys(SERVER_OF[name] for name in names):
            servers[kind] = Server(kind, server_command(kind, settings), settings)
            progress("%s server on %s" % (kind, servers[kind].address))
        timeout = settings.duration + CLIENT_GRACE
        for round_number in range(1, settings.rounds + 1):
            for name in names:
                server = servers[SERVER_OF[name]]
                for way in DIRECTIONS:
                    server.check_alive()
                    command = client_command(name, server.address, way, settings)
                    report = run_client(name, command, settings, timeout,
                                        ("mb_per_s", "items_per_s"))
                    runs[name][way].append(report)
                    progress("round %d/%d %-8s %-4s %9.1f MB/s %9.0f items/s"
                             % (round_number, settings.rounds, name, way, report["mb_per_s"],
                                report["items_per_s"]))
    finally:
        for server in servers.values():
            server.close()
    return runs


def medians(runs):
    """Median MB/s and items/s of each target and way, with the spread of MB/s."""
    result = {}
    for name, ways in runs.items():
        result[name] = {}
        for way, reports in ways.items():
            rates = [report["mb_per_s"] for report in reports]
            result[name][way] = {
                "mb_per_s": statistics.median(rates),
                "items_per_s": statistics.median(report["items_per_s"] for report in reports),
                "min_mb_per_s": min(rates),
                "max_mb_per_s": max(rates),
            }
    return result


def progress(text):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


# ---------------------------------------------------------------------------------------------
# Tables


def ratio(numerator, denominator):
    if numerator is None or not denominator:
        return "-"
    return "%.2fx" % (numerator / denominator)


def table(result, settings):
    """One row per direction and target, then ferry's ratios per direction."""
    header = ["direction", "target", "bytes/item", "MB/s", "items/s", "MB/s min..max"]
    rows = []
    for way in DIRECTIONS:
        for name in TARGETS:
            if name == "raw-item" and settings.skip_raw_item:
                continue
            figures = result.get(name, {}).get(way)
            if figures is None:
                rows.append([way, name, str(chunk_of(name, settings)), "pending", "pending", ""])
                continue
            rows.append([way, name, str(chunk_of(name, settings)), "%.1f" % figures["mb_per_s"],
                         "%.0f" % figures["items_per_s"],
                         "%.0f..%.0f" % (figures["min_mb_per_s"], figures["max_mb_per_s"])])
    lines = render(header, rows, settings.markdown)
    lines.append("")
    for way in DIRECTIONS:
        ferry = result.get("ferry", {}).get(way, {}).get("mb_per_s")
        parts = ["%s ferry/%s %s" % (way, other,
                                      ratio(ferry, result.get(other, {}).get(way, {})
                                            .get("mb_per_s")))
                 for other in ("tonic", "raw")]
        lines.append(", ".join(parts) + ("" if ferry is not None else " (ferry pending)"))
    tonic = result.get("tonic", {})
    raw = result.get("raw", {})
    for way in DIRECTIONS:
        if way in tonic and way in raw:
            lines.append("%s tonic/raw %s" % (way, ratio(tonic[way]["mb_per_s"],
                                                           raw[way]["mb_per_s"])))
    title = ("streams, %d-byte items, one connection, one stream, %g s per run; median of %d "
             "interleaved rounds; raw: %d bytes per system call (the ceiling)"
             % (settings.chunk, settings.duration, settings.rounds, settings.raw_chunk))
    return [title, ""] + lines


def render(header, rows, markdown):
    if markdown:
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join("---" if i < 2 else "---:" for i in range(len(header))) + "|"]
        return lines + ["| " + " | ".join(row) + " |" for row in rows]
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]

    def line(row):
        return "  ".join(str(cell).ljust(width) if i < 2 else str(cell).rjust(width)
                         for i, (cell, width) in enumerate(zip(row, widths)))
    return [line(header)] + [line(row) for row in rows]


def machine():
    """What the figures were measured on."""
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "python": platform.python_version()}


def settings_json(settings):
    return {key: (str(value) if isinstance(value, Path) else value)
            for key, value in vars(settings).items()}


# ---------------------------------------------------------------------------------------------
# Main


def main(argv):
    settings = parse_args(argv)
    names = [name for name in TARGETS if not (name == "ferry" and settings.skip_ferry)
             and not (name == "raw-item" and settings.skip_raw_item)]
    check_binaries(names, settings)
    if "ferry" in names:
        check_ferry_streams(settings)
    runs = measure(settings, names)
    result = medians(runs)
    print("\n".join(table(result, settings)), flush=True)
    if settings.json:
        settings.json.write_text(json.dumps({
            "settings": settings_json(settings), "machine": machine(),
            "medians": result, "runs": runs}, indent=2) + "\n")
        print("wrote %s" % settings.json)


def interrupt(signum, frame):
    raise KeyboardInterrupt


def entry(main_function, name):
    """Runs `main_function` so that every way of stopping it stops its servers too."""
    # Installed even where SIGINT was inherited ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for stopping in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stopping, interrupt)
    try:
        main_function(sys.argv[1:])
    except BenchError as err:
        print("%s: %s" % (name, err), file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("\n%s: interrupted; servers stopped" % name, file=sys.stderr)
        sys.exit(130)
    finally:
        stop_all()


if __name__ == "__main__":
    entry(main, "stream.py")
