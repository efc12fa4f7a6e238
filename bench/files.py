#!/usr/bin/env python3
"""File transfer against its ceilings: `ferry put` and `ferry get` of one large file, beside what
the disk (dd with fsync) and loopback TCP (the raw pipe) can do on their own, interleaved, with
medians and each transfer as a fraction of the lower of its two ceilings.

Builds nothing. First build the raw pipe once, and ferry in the main workspace:

    cd bench && cargo build --release -p raw-pipe
    cargo build --release -p ferry-cli

The test file (1 GiB of random bytes by default) is made once and reused: --file names it. Each
round, in turn:

    dd       dd if=FILE of=WORK/dd.bin bs=1M conv=fsync (MB/s from dd's own bytes and seconds)
    pipe up, pipe down
             raw-pipe-client, --chunk bytes per system call for --pipe-duration seconds
    put      ferry put ADDR FILE NAME --json, into `ferry serve --files WORK/served`
    get      ferry get ADDR NAME WORK/got.bin --json (of the file just put)

and every landed file is deleted before the next step, so the disk holds at most the test file
and two copies. put is reported as a fraction of min(pipe up, dd), get of min(pipe down, dd):
each moves the bytes through loopback TCP and onto the disk with an fsync. FILE is read from the
page cache in every step (it was just written or read), so reading it costs no step a disk read.

The servers listen on 127.0.0.1 only, pinned to CPU 0; the clients run on CPU 1 (dd unpinned).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

# stream.py sits beside this file, which Python puts first on the path of a script.
import stream
from stream import BenchError, Server, progress

DEFAULT_FILE = stream.BENCH_DIR / "target" / "files" / "ferry-bench-1GiB.bin"
REMOTE_NAME = "ferry-bench-file.bin"
DD_REPORT = re.compile(r"^(\d+) bytes .* copied, ([0-9.]+) s", re.MULTILINE)
STEPS = ["dd", "pipe-up", "pipe-down", "put", "get"]
# The longest a dd or a transfer of the test file may take before it counts as stalled.
STEP_TIMEOUT = 600.0


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE,
                        help="the test file, made if missing or of another size, then reused "
                             "(default: bench/target/files/ferry-bench-1GiB.bin)")
    parser.add_argument("--size", type=int, default=1 << 30, help="its size in bytes (1 GiB)")
    parser.add_argument("--work-dir", type=Path,
                        help="where files land, in a directory of this run removed at its end "
                             "(default: beside --file; the same disk is the point)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5, at least 5)")
    parser.add_argument("--pipe-duration", type=float, default=5.0,
                        help="seconds per raw pipe run (5)")
    parser.add_argument("--chunk", type=int, default=1 << 20,
                        help="bytes per system call of the raw pipe (1048576)")
    parser.add_argument("--skip-ferry", action="store_true", help="measure the ceilings only")
    parser.add_argument("--json", type=Path, metavar="OUT",
                        help="also write every run and median to this JSON file")
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    stream.add_binary_args(parser)
    args = parser.parse_args(argv)
    if args.rounds < 5:
        parser.error("--rounds must be at least 5: fewer make a median worth little")
    if args.size < 1 or args.pipe_duration <= 0 or args.chunk < 1:
        parser.error("--size and --chunk must be at least 1, --pipe-duration more than 0")
    return args


# ---------------------------------------------------------------------------------------------
# The test file


def ensure_file(path, size):
    """Makes `path` hold `size` random bytes unless it already has that size."""
    if path.is_file() and path.stat().st_size == size:
        progress("reusing %s (%d bytes)" % (path, size))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    progress("making %s: %d random bytes (once; --file reuses it)" % (path, size))
    partial = path.with_name(path.name + ".partial")
    block = 1 << 20
    # Random, not zeros: nothing on the way (a compressing codec, a sparse-file shortcut) may
    # make the file cheaper to move than real data.
    with open(partial, "wb") as out:
        left = size
        while left:
            piece = min(block, left)
            out.write(os.urandom(piece))
            left -= piece
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)


def filesystem_of(path):
    """The filesystem type under `path`, from /proc/mounts (the longest mount point above it)."""
    path = os.path.realpath(path)
    best = ("", "unknown")
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            fields = line.split()
            point, kind = fields[1], fields[2]
            inside = path == point or path.startswith(point.rstrip("/") + "/")
            if inside and len(point) > len(best[0]):
                best = (point, kind)
    except OSError:
        pass
    return best[1]


# ---------------------------------------------------------------------------------------------
# Steps


def dd_step(source, work):
    """MB/s of dd copying `source` to the disk with one fsync at the end, by dd's own report."""
    target = work / "dd.bin"
    try:
        done = subprocess.run(["dd", "if=%s" % source, "of=%s" % target, "bs=1M", "conv=fsync"],
                              capture_output=True, text=True, timeout=STEP_TIMEOUT,
                              env=dict(os.environ, LC_ALL="C"))
    finally:
        target.unlink(missing_ok=True)
    found = DD_REPORT.search(done.stderr)
    if done.returncode != 0 or not found:
        raise BenchError("dd failed (%s):\n%s" % (done.returncode, done.stderr.strip()))
    copied, seconds = int(found.group(1)), float(found.group(2))
    return {"bytes": copied, "seconds": seconds, "mb_per_s": copied / seconds / 1e6}


def pipe_step(server, direction, settings):
    command = [settings.bin_dir / "raw-pipe-client", server.address, "--direction", direction,
               "--chunk", str(settings.chunk),
               "--duration", stream.duration_flag(settings.pipe_duration)]
    return stream.run_client("raw", command, settings,
                             settings.pipe_duration + stream.CLIENT_GRACE, ("mb_per_s",))


def transfer_step(server, verb, local, settings):
    """`ferry put ADDR LOCAL NAME` or `ferry get ADDR NAME LOCAL`; MB/s from its JSON."""
    if verb == "put":
        paths = [local, REMOTE_NAME]
    else:
        paths = [REMOTE_NAME, local]
    command = [settings.ferry_bin, verb, server.address] + [str(p) for p in paths] + ["--json"]
    started = time.monotonic()
    report = stream.run_client("ferry " + verb, command, settings, STEP_TIMEOUT,
                               ("bytes", "seconds"))
    wall = time.monotonic() - started
    if report["seconds"] <= 0:
        raise BenchError("ferry %s reported %s seconds: %s"
                         % (verb, report["seconds"], json.dumps(report)))
    return {"bytes": report["bytes"], "seconds": report["seconds"], "wall_seconds": wall,
            "mb_per_s": report["bytes"] / report["seconds"] / 1e6}


def check_landed(path, size, what):
    landed = path.stat().st_size if path.is_file() else None
    if landed != size:
        raise BenchError("%s landed %s bytes at %s, not %d" % (what, landed, path, size))


def check_ferry_files(settings):
    if not settings.ferry_bin.is_file():
        raise BenchError("no ferry binary at %s: build it (cargo build --release -p ferry-cli), "
                         "pass --ferry-bin, or pass --skip-ferry to measure the ceilings alone"
                         % settings.ferry_bin)
    has_all = (stream.ferry_has(settings.ferry_bin, "serve", "--files")
               and stream.ferry_has(settings.ferry_bin, "put", None)
               and stream.ferry_has(settings.ferry_bin, "get", None))
    if not has_all:
        raise BenchError("%s has no `ferry serve --files` with `ferry put` and `ferry get`: this "
                         "ferry predates file transfer. Rebuild it from a tree with files, or "
                         "pass --skip-ferry to measure the ceilings alone" % settings.ferry_bin)


# ---------------------------------------------------------------------------------------------
# Rounds


def measure(settings, work):
    steps = [step for step in STEPS if not (settings.skip_ferry and step in ("put", "get"))]
    runs = {step: [] for step in steps}
    servers = {}
    try:
        servers["raw"] = Server("raw", [settings.bin_dir / "raw-pipe-server", "--listen",
                                        "127.0.0.1:0"], settings)
        served = work / "served"
        if not settings.skip_ferry:
            served.mkdir()
            servers["ferry"] = Server("ferry", [settings.ferry_bin, "serve", "--files", served,
                                                "--listen", "127.0.0.1:0"], settings)
        got = work / "got.bin"
        for round_number in range(1, settings.rounds + 1):
            for step in steps:
                for server in servers.values():
                    server.check_alive()
                if step == "dd":
                    figures = dd_step(settings.file, work)
                elif step.startswith("pipe-"):
                    figures = pipe_step(servers["raw"], step[len("pipe-"):], settings)
                elif step == "put":
                    figures = transfer_step(servers["ferry"], "put", settings.file, settings)
                    check_landed(served / REMOTE_NAME, settings.size, "ferry put")
                else:
                    try:
                        figures = transfer_step(servers["ferry"], "get", got, settings)
                        check_landed(got, settings.size, "ferry get")
                    finally:
                        # The file put this round and its copy: the disk keeps neither.
                        got.unlink(missing_ok=True)
                        (served / REMOTE_NAME).unlink(missing_ok=True)
                runs[step].append(figures)
                progress("round %d/%d %-9s %9.1f MB/s"
                         % (round_number, settings.rounds, step, figures["mb_per_s"]))
    finally:
        for server in servers.values():
            server.close()
    return runs


def medians(runs):
    result = {}
    for step, figures in runs.items():
        rates = [run["mb_per_s"] for run in figures]
        result[step] = {"mb_per_s": statistics.median(rates), "min_mb_per_s": min(rates),
                        "max_mb_per_s": max(rates)}
    ceilings = {"put": "pipe-up", "get": "pipe-down"}
    for step, pipe in ceilings.items():
        if step in result:
            ceiling = min(result[pipe]["mb_per_s"], result["dd"]["mb_per_s"])
            result[step]["ceiling_mb_per_s"] = ceiling
            result[step]["fraction_of_ceiling"] = result[step]["mb_per_s"] / ceiling
    return result


LABELS = {
    "dd": "dd bs=1M conv=fsync",
    "pipe-up": "raw pipe up",
    "pipe-down": "raw pipe down",
    "put": "ferry put",
    "get": "ferry get",
}
CEILING_OF = {"put": "min(pipe up, dd)", "get": "min(pipe down, dd)"}


def table(result, settings):
    header = ["step", "MB/s", "MB/s min..max", "of ceiling"]
    rows = []
    for step in STEPS:
        figures = result.get(step)
        if figures is None:
            rows.append([LABELS[step], "pending", "", ""])
            continue
        fraction = ""
        if "fraction_of_ceiling" in figures:
            fraction = "%.2f of %s = %.0f" % (figures["fraction_of_ceiling"], CEILING_OF[step],
                                               figures["ceiling_mb_per_s"])
        rows.append([LABELS[step], "%.1f" % figures["mb_per_s"],
                     "%.0f..%.0f" % (figures["min_mb_per_s"], figures["max_mb_per_s"]), fraction])
    title = ("file transfer, %s (%d bytes) on %s; raw pipe %d bytes per system call for %g s; "
             "median of %d interleaved rounds"
             % (settings.file, settings.size, filesystem_of(settings.file), settings.chunk,
                settings.pipe_duration, settings.rounds))
    return [title, ""] + render(header, rows, settings.markdown)


def render(header, rows, markdown):
    if markdown:
        lines = ["| " + " | ".join(header) + " |",
                 "|---|" + "|".join("---:" for _ in header[1:]) + "|"]
        return lines + ["| " + " | ".join(row) + " |" for row in rows]
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]

    def line(row):
        return "  ".join(cell.ljust(width) if i in (0, 3) else cell.rjust(width)
                         for i, (cell, width) in enumerate(zip(row, widths)))
    return [line(header)] + [line(row) for row in rows]


# ---------------------------------------------------------------------------------------------
# Main


def main(argv):
    settings = parse_args(argv)
    stream.check_binaries(["raw"], settings)
    if not shutil.which("dd"):
        raise BenchError("dd is not installed (coreutils)")
    if not settings.skip_ferry:
        check_ferry_files(settings)
    ensure_file(settings.file, settings.size)
    kind = filesystem_of(settings.file)
    if kind in ("tmpfs", "ramfs"):
        progress("note: %s is on %s: an fsync there reaches no disk" % (settings.file, kind))
    parent = settings.work_dir or settings.file.parent
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="files-run-", dir=parent))
    try:
        runs = measure(settings, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = medians(runs)
    print("\n".join(table(result, settings)), flush=True)
    if settings.json:
        settings.json.write_text(json.dumps({
            "settings": stream.settings_json(settings),
            "machine": dict(stream.machine(), filesystem=kind),
            "medians": result, "runs": runs}, indent=2) + "\n")
        print("wrote %s" % settings.json)


if __name__ == "__main__":
    stream.entry(main, "files.py")
