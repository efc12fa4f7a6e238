"""SVG charts of a run.py results structure (the JSON `run.py --out` writes), standard library only.

For each kind of comparison in the results (the echo points, the length-prefixed JSON points), one
grouped horizontal bar chart of the median calls/s per point and framework, and one of the
server's median CPU time per call. The open loop is not drawn: its calls/s is the rate it was
given, and its table's latencies are the figure to read.

Every chart is plain SVG text: a white background (readable on a light page), the system font,
720 px wide and as tall as its bars need, the value written at the end of every bar.
"""

import math
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

WIDTH = 720
FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif"
INK = "#24292f"
MUTED = "#57606a"
GRID = "#d8dee4"

# Okabe-Ito colours (told apart with the common kinds of colour blindness); ferry vermillion,
# the raw ceiling grey.
COLOURS = {
    "ferry": "#D55E00",
    "tarpc": "#0072B2",
    "tonic": "#009E73",
    "raw": "#8C8C8C",
    "py-blocking": "#E69F00",
    "py-threaded": "#56B4E9",
    "py-asyncio": "#CC79A7",
}
FALLBACK_COLOURS = ["#F0E442", "#000000", "#999933", "#882255"]

# kind in the results -> (title of its comparison, frameworks in the order drawn)
KINDS = {
    "echo": ("Echo", ["ferry", "tarpc", "tonic", "raw"]),
    "lpjson": ("Length-prefixed JSON ping", ["ferry", "py-blocking", "py-threaded", "py-asyncio"]),
}

# metric -> (key in a median, what the chart shows, axis title, value format)
METRICS = {
    "calls": ("rps", "calls/s", "calls per second (median)", "count"),
    "cpu": ("server_cpu_us_per_call", "server CPU per call",
            "server CPU time per call, µs (median; lower is better)", "us"),
}

# Layout, in px.
LEFT = 150          # point labels
RIGHT = 64          # room for the value at the end of the longest bar
BAR = 13
BAR_GAP = 2
GROUP_GAP = 14
TOP_TEXT = 18       # baseline of the title


def write_charts(summary, directory, stem, points=None, frameworks=None):
    """Writes every chart the results allow into `directory` as STEM-KIND-METRIC.svg; returns
    the paths written. `points` and `frameworks`, if given, limit what is drawn."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        for metric in METRICS:
            svg = chart(summary, kind, metric, points, frameworks)
            if svg is None:
                continue
            path = directory / ("%s-%s-%s.svg" % (stem, kind, metric))
            path.write_text(svg, encoding="utf-8")
            written.append(path)
    return written


def chart(summary, kind, metric, points=None, frameworks=None):
    """One chart as SVG text, or None when the results hold no value for it."""
    key, shown, axis_title, style = METRICS[metric]
    kind_title, order = KINDS[kind]
    groups = []
    for name, point in summary.get("points", {}).items():
        if point.get("shape", {}).get("kind") != kind or (points and name not in points):
            continue
        bars = []
        for fw, data in point.get("frameworks", {}).items():
            if frameworks and fw not in frameworks:
                continue
            median = data.get("median") or {}
            value = median.get(key)
            # A median of only {"stalled": N}: no run of it answered.
            bars.append((fw, value if value is not None else
                         "stalled" if median.get("stalled") and "rps" not in median else None))
        if any(is_number(value) for _, value in bars):
            groups.append((name, point["shape"], bars))
    if not groups:
        return None
    present = []
    for _, _, bars in groups:
        for fw, _ in bars:
            if fw not in present:
                present.append(fw)
    legend = [fw for fw in order if fw in present] + [fw for fw in present if fw not in order]
    colours = colour_map(legend)
    for index, (name, shape, bars) in enumerate(groups):
        groups[index] = (name, shape, sorted(bars, key=lambda bar: legend.index(bar[0])))

    reps = (summary.get("settings") or {}).get("reps")
    title = "%s: %s by point and framework%s" % (
        kind_title, shown, " (median of %d)" % reps if reps else "")
    facts = host_facts(summary)

    top = TOP_TEXT + 18 * len(facts) + 36        # title, fact lines, legend row
    legend_y = top - 14
    plot_top = top + 6
    heights = [len(bars) * (BAR + BAR_GAP) - BAR_GAP for _, _, bars in groups]
    plot_height = sum(heights) + GROUP_GAP * (len(groups) + 1)
    axis_y = plot_top + plot_height
    height = axis_y + 48
    plot_width = WIDTH - LEFT - RIGHT

    largest = max(value for _, _, bars in groups for _, value in bars if is_number(value))
    ticks = nice_ticks(largest)
    scale = plot_width / ticks[-1]

    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family=%s role="img" aria-label=%s>'
           % (WIDTH, height, WIDTH, height, quoteattr(FONT), quoteattr(title)),
           "<title>%s</title>" % escape(title),
           '<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>' % (WIDTH, height),
           text(12, TOP_TEXT, title, size=15, weight="600")]
    for line, fact in enumerate(facts):
        out.append(text(12, TOP_TEXT + 18 * (line + 1), fact, size=11, fill=MUTED))

    x = LEFT
    for fw in legend:
        out.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>'
                   % (x, legend_y - 10, colours[fw]))
        out.append(text(x + 16, legend_y, fw, size=12))
        x += 16 + text_width(fw, 12) + 18

    for tick in ticks:
        tx = LEFT + tick * scale
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="1"/>'
                   % (tx, plot_top, tx, axis_y, GRID))
        out.append(text(tx, axis_y + 15, tick_label(tick, style), size=11, fill=MUTED,
                        anchor="middle"))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1"/>'
               % (LEFT, plot_top, LEFT, axis_y, MUTED))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1"/>'
               % (LEFT, axis_y, WIDTH - RIGHT, axis_y, MUTED))
    out.append(text(LEFT + plot_width / 2, axis_y + 36, axis_title, size=12, anchor="middle"))

    y = plot_top + GROUP_GAP
    for (name, shape, bars), group_height in zip(groups, heights):
        middle = y + group_height / 2
        out.append(text(LEFT - 10, middle - 2, name, size=12, weight="600", anchor="end"))
        out.append(text(LEFT - 10, middle + 12, shape_label(shape), size=10, fill=MUTED,
                        anchor="end"))
        for fw, value in bars:
            if not is_number(value):
                out.append(text(LEFT + 4, y + BAR - 3, "%s: %s" % (fw, value or "no figure"),
                                size=10, fill=MUTED))
            else:
                length = max(value * scale, 0.5)
                out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s">'
                           "<title>%s</title></rect>"
                           % (LEFT, y, length, BAR, colours[fw],
                              escape("%s, %s: %s %s" % (name, fw, exact(value, style), shown))))
                out.append(text(LEFT + length + 4, y + BAR - 3, value_label(value, style),
                                size=10.5))
            y += BAR + BAR_GAP
        y += GROUP_GAP - BAR_GAP
    out.append("</svg>")
    return "\n".join(out) + "\n"


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def host_facts(summary):
    """The lines under the title: the machine, when and what, and how it was run."""
    machine = summary.get("machine") or {}
    settings = summary.get("settings") or {}
    recorded = summary.get("recorded") or {}
    first = []
    if machine.get("cpus"):
        first.append("%s CPUs" % machine["cpus"])
    if machine.get("cpu_model"):
        first.append(machine["cpu_model"])
    if machine.get("kernel"):
        first.append("Linux %s" % machine["kernel"])
    if machine.get("python"):
        first.append("Python %s" % machine["python"])
    date = recorded.get("date") or summary.get("date")
    if date:
        first.append(str(date))
    if recorded.get("commit"):
        first.append("commit %s" % recorded["commit"])
    second = []
    if settings.get("duration") is not None:
        run = "%g s per run" % settings["duration"]
        if settings.get("warmup"):
            run += " after %g s warmup" % settings["warmup"]
        second.append(run)
    if settings.get("no_pin") is False:
        second.append("server on CPU %s, client on CPU %s"
                      % (settings.get("server_cpus", "0"), settings.get("client_cpus", "1")))
    elif settings.get("no_pin"):
        second.append("not pinned")
    if settings.get("ferry_bin"):
        second.append("ferry's server: ferry serve")
    return [line for line in (" · ".join(first), " · ".join(second)) if line]


def shape_label(shape):
    conns = shape.get("conns", 0)
    return "%d conn%s × %d in flight" % (conns, "" if conns == 1 else "s", shape.get("inflight", 0))


def colour_map(frameworks):
    spare = iter(FALLBACK_COLOURS * 4)
    return {fw: COLOURS.get(fw) or next(spare) for fw in frameworks}


def nice_ticks(largest):
    """0 and evenly spaced round numbers up to at least `largest`, about five steps."""
    if largest <= 0:
        return [0, 1]
    raw = largest / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    count = math.ceil(largest / step - 1e-9)
    return [step * i for i in range(count + 1)]


def tick_label(value, style):
    if style == "us":
        return "%g" % value
    label = compact(value, exact_zero=True)
    if "." in label:                     # 1.00M -> 1M, 1.50M -> 1.5M
        digits, suffix = label[:-1], label[-1]
        label = digits.rstrip("0").rstrip(".") + suffix
    return label


def value_label(value, style):
    if style == "us":
        return "%.1f µs" % value
    return compact(value)


def exact(value, style):
    return "%.2f µs" % value if style == "us" else "{:,.0f}".format(value)


def compact(value, exact_zero=False):
    """1234567 -> 1.23M, 30225 -> 30.2k: three significant figures."""
    if value == 0 and exact_zero:
        return "0"
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            scaled = value / limit
            digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
            return "%.*f%s" % (digits, scaled, suffix)
    return "%.0f" % value


def text(x, y, content, size=12, fill=INK, anchor="start", weight=None):
    attributes = 'x="%s" y="%s" font-size="%s" fill="%s"' % (num(x), num(y), num(size), fill)
    if anchor != "start":
        attributes += ' text-anchor="%s"' % anchor
    if weight:
        attributes += ' font-weight="%s"' % weight
    return "<text %s>%s</text>" % (attributes, escape(content))


def num(value):
    return ("%.1f" % value).rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def text_width(content, size):
    """A rough width of `content` in the system sans-serif font, for laying out the legend."""
    return sum(0.3 if c in "il.,:;|!'" else 0.62 if c.isupper() else 0.55 for c in content) * size
