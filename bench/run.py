#!/usr/bin/env python3
"""Runs ferry side by side with tarpc, tonic and a raw framed echo (and, for the length-prefixed
JSON dialect, with three classic Python servers), and prints medians and ratios per point.

Builds nothing. First build the bench binaries once:

    cd bench && cargo build --release

Every repetition starts a fresh server pinned to CPU 0 (taskset -c 0) and runs the client pinned
to CPU 1 (taskset -c 1); the frameworks of a point take turns (A B C D A B C D ...). The server's
CPU time per call is read from /proc/PID/stat (utime + stime) between the end of the warmup and
the end of the run, divided by the calls measured.

Every server listens on 127.0.0.1 only and is stopped when its run ends, also on Ctrl-C.

With --svg DIR it also draws the comparison as SVG charts (bench/charts.py); --charts-from FILE
draws them, and prints the tables, from the JSON of an earlier run (--out) without running.
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

import charts

BENCH_DIR = Path(__file__).resolve().parent
PYTHON_DIR = BENCH_DIR / "python"

ECHO_FRAMEWORKS = ["ferry", "tarpc", "tonic", "raw"]
LPJSON_FRAMEWORKS = ["ferry", "py-blocking", "py-threaded", "py-asyncio"]
ALL_FRAMEWORKS = ECHO_FRAMEWORKS + LPJSON_FRAMEWORKS[1:]
PYTHON_SERVERS = {
    "py-blocking": "blocking_server.py",
    "py-threaded": "threaded_server.py",
    "py-asyncio": "asyncio_server.py",
}

# name -> (kind, payload bytes, connections, in flight)
POINTS = {
    "64B-1x1": ("echo", 64, 1, 1),
    "64B-1x64": ("echo", 64, 1, 64),
    "64B-8x16": ("echo", 64, 8, 16),
    "1KiB-1x1": ("echo", 1024, 1, 1),
    "1KiB-1x64": ("echo", 1024, 1, 64),
    "1KiB-8x16": ("echo", 1024, 8, 16),
    "16KiB-1x16": ("echo", 16384, 1, 16),
    "open-loop": ("open", 64, 1, 64),
    "lpjson-1x1": ("lpjson", 64, 1, 1),
    "lpjson-8x1": ("lpjson", 64, 8, 1),
}
# The open loop runs each framework at half the peak it reached here.
PEAK_POINT = "64B-1x64"

ADDRESS = re.compile(r"(127\.0\.0\.1:\d+)")
SERVER_START_TIMEOUT = 15.0
SERVER_STOP_TIMEOUT = 3.0

# Every process started and not yet reaped, so an interrupted run leaves none behind.
LIVE = []


class BenchError(Exception):
    """A run that cannot go on; the message says what to do."""


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="points: %s\nframeworks: %s" % (", ".join(POINTS), ", ".join(ALL_FRAMEWORKS)),
    )
    parser.add_argument("--duration", type=float, default=3.0, help="seconds measured per run (3)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unrecorded seconds first (1)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions per point (5)")
    parser.add_argument("--points", type=names_of(POINTS), default=list(POINTS),
                        help="comma-separated subset of the points (default: all)")
    parser.add_argument("--frameworks", type=names_of(ALL_FRAMEWORKS), default=ALL_FRAMEWORKS,
                        help="comma-separated subset of the frameworks (default: all)")
    parser.add_argument("--markdown", action="store_true", help="print the tables in Markdown")
    parser.add_argument("--out", type=Path, help="also write every run and median to this JSON file")
    parser.add_argument("--svg", type=Path, metavar="DIR",
                        help="also draw SVG charts into DIR: calls/s and server CPU per call, for "
                             "the echo and the lpjson points, named STEM-KIND-METRIC.svg (STEM: "
                             "the --out or --charts-from file's name without .json, else 'run')")
    parser.add_argument("--charts-from", type=Path, metavar="FILE",
                        help="run nothing: print the tables of FILE (JSON written by --out) and "
                             "draw its charts into --svg DIR")
    parser.add_argument("--bin-dir", type=Path, default=default_bin_dir(),
                        help="where the bench binaries are (default: $CARGO_TARGET_DIR/release "
                             "or bench/target/release)")
    parser.add_argument("--ferry-bin", type=Path,
                        help="run this `ferry` binary's `ferry serve` instead of ferry-server")
    parser.add_argument("--threads", type=int, help="ferry server threads (--threads)")
    parser.add_argument("--model", choices=["multi-thread", "thread-per-core"],
                        help="ferry server model (needs --ferry-bin: `ferry serve --model`)")
    parser.add_argument("--server-cpus", default="0", help="taskset CPU list of servers (0)")
    parser.add_argument("--client-cpus", default="1", help="taskset CPU list of clients (1)")
    parser.add_argument("--no-pin", action="store_true", help="run without taskset")
    args = parser.parse_args(argv)
    if args.reps < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--reps must be at least 1, --duration more than 0, --warmup 0 or more")
    if args.model and not args.ferry_bin:
        parser.error("--model needs --ferry-bin: only `ferry serve` has server models")
    if args.charts_from and not args.svg:
        parser.error("--charts-from needs --svg DIR: where to write the charts")
    return args


def names_of(known):
    def parse(text):
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if name not in known]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                "unknown %s; choose from %s" % (", ".join(unknown) or "(none)", ", ".join(known)))
        return names
    return parse


def default_bin_dir():
    target = os.environ.get("CARGO_TARGET_DIR")
    return Path(target) / "release" if target else BENCH_DIR / "target" / "release"


# ---------------------------------------------------------------------------------------------
# Processes


def spawn(command, output):
    """Starts `command` writing to the file `output`; tracked until reaped."""
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
    if settings.no_pin:
        return command
    return ["taskset", "-c", cpus] + command


def server_command(framework, kind, settings):
    """The command starting `framework`'s server on a free loopback port."""
    if framework in PYTHON_SERVERS:
        return [sys.executable, str(PYTHON_DIR / PYTHON_SERVERS[framework]), "--port", "0"]
    if framework == "ferry" and settings.ferry_bin:
        command = [str(settings.ferry_bin), "serve", "--listen", "127.0.0.1:0"]
    else:
        command = [str(settings.bin_dir / ("%s-server" % framework)), "--listen", "127.0.0.1:0"]
    if framework == "ferry":
        if settings.threads:
            command += ["--threads", str(settings.threads)]
        if settings.model:
            command += ["--model", settings.model]
    return command


def client_command(framework, kind, address, payload, conns, inflight, rate, settings):
    client = "lpjson-client" if kind == "lpjson" else "%s-client" % framework
    command = [str(settings.bin_dir / client), address, "--payload", str(payload),
               "--conns", str(conns), "--inflight", str(inflight),
               "--duration", str(settings.duration), "--warmup", str(settings.warmup), "--json"]
    if rate:
        command += ["--rate", "%.1f" % rate]
    return command


def start_server(framework, kind, settings, log):
    """Starts a server and waits for the address it prints."""
    command = pinned(settings.server_cpus, server_command(framework, kind, settings), settings)
    process = spawn(command, log)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        log.flush()
        text = Path(log.name).read_text(errors="replace")
        found = ADDRESS.search(text)
        if found:
            return process, found.group(1)
        if process.poll() is not None:
            stop(process)
            raise BenchError("%s server exited (%s) before listening:\n%s"
                             % (framework, process.returncode, text.strip()))
        time.sleep(0.02)
    stop(process)
    raise BenchError("%s server printed no address within %ss" % (framework, SERVER_START_TIMEOUT))


def cpu_seconds(pid):
    """User + system CPU time of process `pid`, all threads, in seconds."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError as err:
        raise BenchError("the server (pid %d) is gone: %s" % (pid, err))
    # After the command name: state is field 3, utime field 14, stime field 15 (1-based).
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def one_run(framework, kind, payload, conns, inflight, rate, settings):
    """Starts a fresh server, loads it once, stops it; the client's report plus server CPU."""
    with tempfile.NamedTemporaryFile("w+", prefix="bench-%s-" % framework, suffix=".log") as log:
        server, address = start_server(framework, kind, settings, log)
        try:
            return measure(server, framework, kind, address, payload, conns, inflight, rate,
                           settings)
        finally:
            stop(server)


def measure(server, framework, kind, address, payload, conns, inflight, rate, settings):
    command = client_command(framework, kind, address, payload, conns, inflight, rate, settings)
    command = pinned(settings.client_cpus, command, settings)
    limit = settings.warmup + settings.duration + max(5.0, settings.duration)
    with tempfile.TemporaryFile("w+") as output:
        client = spawn(command, output)
        started = time.monotonic()
        time.sleep(settings.warmup)
        cpu_before = cpu_seconds(server.pid)
        try:
            client.wait(max(0.0, limit - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            stop(client)
            return {"stalled": True, "reason": "no report within %.0fs: calls never answered"
                    % limit}
        cpu_after = cpu_seconds(server.pid)
        LIVE.remove(client)
        output.seek(0)
        text = output.read()
    if client.returncode != 0:
        raise BenchError("%s client failed (%s):\n%s" % (framework, client.returncode, text.strip()))
    report = json.loads(text.strip().splitlines()[-1])
    calls = report["calls"]
    report["server_cpu_us_per_call"] = (cpu_after - cpu_before) * 1e6 / calls if calls else None
    return report


# ---------------------------------------------------------------------------------------------
# Points


def frameworks_of(kind, settings):
    pool = LPJSON_FRAMEWORKS if kind == "lpjson" else ECHO_FRAMEWORKS
    return [name for name in pool if name in settings.frameworks]


def run_point(name, settings, peaks):
    kind, payload, conns, inflight = POINTS[name]
    frameworks = frameworks_of(kind, settings)
    rates = {fw: (halve(peaks.get(fw)) if kind == "open" else None) for fw in frameworks}
    if kind == "open":
        frameworks = [fw for fw in frameworks if rates[fw]]
    runs = {fw: [] for fw in frameworks}
    for rep in range(settings.reps):
        for fw in frameworks:
            progress("%s rep %d/%d %s" % (name, rep + 1, settings.reps, fw))
            runs[fw].append(one_run(fw, kind, payload, conns, inflight, rates[fw], settings))
    progress("")
    return {fw: {"rate": rates[fw], "runs": runs[fw], "median": medians(runs[fw], payload)}
            for fw in frameworks}


def halve(peak):
    return peak / 2 if peak else None


def medians(runs, payload):
    done = [run for run in runs if not run.get("stalled")]
    if not done:
        return {"stalled": len(runs)}

    def median(key):
        values = [run[key] for run in done if run.get(key) is not None]
        return statistics.median(values) if values else None

    rps = median("rps")
    return {
        "rps": rps,
        "mb_s": rps * payload / 1e6 if rps else None,
        "p50_us": median("p50_us"),
        "p99_us": median("p99_us"),
        "p999_us": median("p999_us"),
        "server_cpu_us_per_call": median("server_cpu_us_per_call"),
        "errors": sum(sum(run["errors"].values()) for run in done),
        "missed": sum(run.get("missed", 0) for run in done),
        "stalled": len(runs) - len(done),
    }


def progress(text):
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K" + text)
        sys.stderr.flush()
    elif text:
        sys.stderr.write(text + "\n")


# ---------------------------------------------------------------------------------------------
# Tables


def describe(name, settings):
    kind, payload, conns, inflight = POINTS[name]
    size = "%d B" % payload if payload < 1024 else "%d KiB" % (payload // 1024)
    loop = "open loop at half each one's %s peak" % PEAK_POINT if kind == "open" else "closed loop"
    dialect = "length-prefixed JSON ping" if kind == "lpjson" else "echo"
    return "%s: %s, %s, %d conn x %d in flight, %s; median of %d" % (
        name, dialect, size, conns, inflight, loop, settings.reps)


def columns(kind, payload):
    cols = [("req/s", "rps", "%.0f")]
    if kind == "open":
        cols = [("target/s", "rate", "%.0f")] + cols
    if payload >= 16384:
        cols.append(("MB/s", "mb_s", "%.1f"))
    cols += [("p50 us", "p50_us", "%.0f"), ("p99 us", "p99_us", "%.0f")]
    if kind == "open":
        cols.append(("p99.9 us", "p999_us", "%.0f"))
    cols += [("cpu us/call", "server_cpu_us_per_call", "%.1f"), ("errors", "errors", "%d")]
    return cols


def table(name, result, settings):
    kind, payload, _, _ = POINTS[name]
    cols = columns(kind, payload)
    rows = []
    for fw, data in result.items():
        median = dict(data["median"], rate=data["rate"])
        if "rps" not in median:
            rows.append([fw] + ["stalled"] + [""] * (len(cols) - 1))
            continue
        cells = [fw]
        for _, key, fmt in cols:
            value = median.get(key)
            cells.append(fmt % value if value is not None else "-")
        if median["stalled"]:
            cells[-1] += " (%d stalled)" % median["stalled"]
        rows.append(cells)
    header = ["framework"] + [title for title, _, _ in cols]
    lines = render(header, rows, settings.markdown)
    return [describe(name, settings), ""] + lines + ["", ratios(kind, result), ""]


def render(header, rows, markdown):
    if markdown:
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
        return lines + ["| " + " | ".join(row) + " |" for row in rows]
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    fmt = lambda row: "  ".join(str(cell).ljust(w) if i == 0 else str(cell).rjust(w)
                                for i, (cell, w) in enumerate(zip(row, widths)))
    return [fmt(header)] + [fmt(row) for row in rows]


def ratios(kind, result):
    """ferry's median req/s over each other framework's (open loop: p99 of the others over
    ferry's, each at its own rate)."""
    ferry = result.get("ferry", {}).get("median", {})
    parts = []
    for fw, data in result.items():
        other = data["median"]
        if fw == "ferry":
            continue
        if kind == "open":
            if ferry.get("p99_us") and other.get("p99_us"):
                parts.append("%s p99 / ferry p99 %.2fx" % (fw, other["p99_us"] / ferry["p99_us"]))
        elif ferry.get("rps") and other.get("rps"):
            parts.append("ferry/%s %.2fx" % (fw, ferry["rps"] / other["rps"]))
        elif ferry.get("rps"):
            parts.append("ferry/%s: %s stalled" % (fw, fw))
    return ("ratios: " + ", ".join(parts)) if parts else "ratios: (need ferry and another)"


# ---------------------------------------------------------------------------------------------
# Main


def check_ready(settings):
    """Every binary the selected points need exists; taskset and two CPUs when pinning."""
    needed = set()
    for name in settings.points:
        kind = POINTS[name][0]
        for fw in frameworks_of(kind, settings):
            if kind == "lpjson":
                needed.add("lpjson-client")
            else:
                needed.add("%s-client" % fw)
            if fw in ECHO_FRAMEWORKS and not (fw == "ferry" and settings.ferry_bin):
                needed.add("%s-server" % fw)
    missing = sorted(b for b in needed if not (settings.bin_dir / b).is_file())
    if missing:
        raise BenchError("missing in %s: %s\nbuild them first: cd %s && cargo build --release"
                         " (or pass --bin-dir)" % (settings.bin_dir, ", ".join(missing), BENCH_DIR))
    if settings.ferry_bin and not settings.ferry_bin.is_file():
        raise BenchError("--ferry-bin %s does not exist; build it: cargo build --release -p "
                         "ferry-cli" % settings.ferry_bin)
    if not settings.no_pin:
        if not shutil.which("taskset"):
            raise BenchError("taskset is not installed (util-linux); install it or pass --no-pin")
        if (os.cpu_count() or 1) < 2:
            raise BenchError("pinning needs 2 CPUs; this machine has 1: pass --no-pin")


def plan(settings):
    """The selected points in order; the open loop needs the peak point, run first."""
    points = [name for name in POINTS if name in settings.points]
    if "open-loop" in points and PEAK_POINT not in points:
        progress("open-loop needs each framework's %s peak: running that point too" % PEAK_POINT)
        points.insert(0, PEAK_POINT)
    return points


def main(argv):
    settings = parse_args(argv)
    if settings.charts_from:
        return from_file(settings)
    check_ready(settings)
    results = {}
    peaks = {}
    for name in plan(settings):
        results[name] = run_point(name, settings, peaks)
        if name == PEAK_POINT:
            peaks = {fw: d["median"].get("rps") for fw, d in results[name].items()}
        print("\n".join(table(name, results[name], settings)), flush=True)
    recorded = summary(settings, results)
    if settings.out:
        settings.out.write_text(json.dumps(recorded, indent=2) + "\n")
        print("wrote %s" % settings.out)
    if settings.svg:
        draw(recorded, settings, settings.out.stem if settings.out else "run")


def from_file(settings):
    """Prints the tables of an earlier run's JSON and draws its charts; runs nothing."""
    try:
        recorded = json.loads(settings.charts_from.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise BenchError("cannot read %s: %s" % (settings.charts_from, err))
    if not isinstance(recorded, dict) or not isinstance(recorded.get("points"), dict):
        raise BenchError("%s has no \"points\": not the JSON of run.py --out"
                         % settings.charts_from)
    # The tables say how many repetitions the recorded run had, not what this command line says.
    shown = argparse.Namespace(**vars(settings))
    shown.reps = (recorded.get("settings") or {}).get("reps", settings.reps)
    for name, point in recorded["points"].items():
        if name in POINTS and name in settings.points:
            result = {fw: data for fw, data in point.get("frameworks", {}).items()
                      if fw in settings.frameworks}
            print("\n".join(table(name, result, shown)), flush=True)
    draw(recorded, settings, settings.charts_from.stem)


def draw(recorded, settings, stem):
    written = charts.write_charts(recorded, settings.svg, stem, points=settings.points,
                                  frameworks=settings.frameworks)
    for path in written:
        print("wrote %s" % path)
    if not written:
        print("no charts: no echo or lpjson point with a figure to draw")


def summary(settings, results):
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "settings": {key: (str(value) if isinstance(value, Path) else value)
                     for key, value in vars(settings).items()},
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                    "python": platform.python_version(), "cpu_model": cpu_model()},
        "points": {name: {"shape": dict(zip(["kind", "payload", "conns", "inflight"],
                                            POINTS[name])),
                          "frameworks": result}
                   for name, result in results.items()},
    }


def cpu_model():
    """The first "model name" of /proc/cpuinfo, or None."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    # Installed even where SIGINT was inherited ignored (a background job), so every way of
    # stopping the run stops its servers too.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for stopping in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stopping, interrupt)
    try:
        main(sys.argv[1:])
    except BenchError as err:
        print("run.py: %s" % err, file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("\nrun.py: interrupted; servers stopped", file=sys.stderr)
        sys.exit(130)
    finally:
        stop_all()
