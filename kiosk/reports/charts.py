"""Charts drawn on the server as SVG, no charting script: columns over time (one or two series side
by side) and bars by category. This module works out the geometry; `reports/_chart.html` writes the
SVG with its title, a description that reads the figures out, a value on every bar that has room
and the same figures as a table, so the chart says everything without colour (the second series is
also striped) and prints on A4 as drawn."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

WIDTH = 720  # the viewBox; the SVG scales to its box, on a tablet or on paper
PLOT_TOP, PLOT_BOTTOM, PLOT_LEFT = 28, 40, 8
COLUMN_HEIGHT = 240
ROW_HEIGHT, LABEL_WIDTH, VALUE_ROOM = 34, 230, 90
MAX_LABELLED_COLUMNS = 12  # beyond this, values are in the table only, and every n-th step is named
# A name's width at reports.css's 18 px: a Chinese character is square, a Latin letter or digit about
# half of it; names keep this much room between them.
WIDE_CHAR, NARROW_CHAR, NAME_GAP = 18, 10.5, 4


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str  # "11月3日 · 时长：12.5"


@dataclass
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    kind: str = "axis"  # axis | value | category


@dataclass
class Chart:
    key: str  # unique on the page: the ids of its title and description
    title: str
    series: list[str]
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    axis: tuple[float, float, float, float] = (0, 0, 0, 0)  # x1, y1, x2, y2: the line the bars stand on

    @property
    def description(self) -> str:
        """The figures read out, for a screen reader: '11月: 12.5, 30; 12月: …'."""
        return "; ".join(f"{row[0]}: {', '.join(row[1:])}" for row in self.rows)

    @property
    def empty(self) -> bool:
        return not self.rows


def _scale(values: Sequence[float]) -> float:
    top = max(values, default=0)
    return top if top > 0 else 1


def columns(key: str, title: str, steps: Sequence[str], series: Sequence[tuple[str, Sequence[float], Callable]]) -> Chart:
    """A column per step (day or month); with two series, two columns side by side."""
    chart = Chart(key, title, [name for name, _, _ in series], WIDTH, PLOT_TOP + COLUMN_HEIGHT + PLOT_BOTTOM)
    chart.headers = ["", *chart.series]
    count = max(len(steps), 1)
    slot = (WIDTH - 2 * PLOT_LEFT) / count
    gap = slot * 0.2
    bar = (slot - gap) / max(len(series), 1)
    label_every = 1 if count <= MAX_LABELLED_COLUMNS else -(-count // MAX_LABELLED_COLUMNS)
    # Names wider than their column (Nov 10, 2026年11月) are given every other one, or fewer.
    label_every = max(label_every, int(-(-(max(map(_width, steps), default=0) + NAME_GAP) // slot)))
    baseline = PLOT_TOP + COLUMN_HEIGHT
    chart.axis = (0, baseline, WIDTH, baseline)
    top = _scale([value for _, values, _ in series for value in values])  # one scale: side by side compares
    for n, (name, values, shown) in enumerate(series):
        for i, value in enumerate(values):
            height = COLUMN_HEIGHT * value / top
            x = PLOT_LEFT + i * slot + gap / 2 + n * bar
            chart.rects.append(Rect(x, baseline - height, bar, height, n, f"{steps[i]} · {name}: {shown(value)}"))
            if count <= MAX_LABELLED_COLUMNS and value:
                chart.labels.append(Label(x + bar / 2, baseline - height - 5, shown(value), kind="value"))
    for i, step in enumerate(steps):
        if i % label_every == 0:
            chart.labels.append(Label(PLOT_LEFT + i * slot + slot / 2, baseline + 22, step))
        chart.rows.append([step, *(shown(values[i]) for _, values, shown in series)])
    return chart


def bars(key: str, title: str, items: Sequence[tuple[str, float]], shown: Callable, series: str) -> Chart:
    """A bar per category (a status, a service, a station), longest first is up to the caller."""
    chart = Chart(key, title, [series], WIDTH, PLOT_TOP + ROW_HEIGHT * max(len(items), 1) + 8)
    chart.headers = ["", series]
    top = _scale([value for _, value in items])
    room = WIDTH - LABEL_WIDTH - VALUE_ROOM
    chart.axis = (LABEL_WIDTH, PLOT_TOP, LABEL_WIDTH, chart.height - 8)
    for i, (label, value) in enumerate(items):
        y = PLOT_TOP + i * ROW_HEIGHT
        length = room * value / top
        chart.rects.append(Rect(LABEL_WIDTH, y + 4, length, ROW_HEIGHT - 8, 0, f"{label}: {shown(value)}"))
        chart.labels.append(Label(LABEL_WIDTH - 8, y + ROW_HEIGHT / 2 + 6, _fit(label), "end", "category"))
        chart.labels.append(Label(LABEL_WIDTH + length + 6, y + ROW_HEIGHT / 2 + 6, shown(value), "start", "value"))
        chart.rows.append([label, shown(value)])
    return chart


def _width(name: str) -> float:
    return sum(WIDE_CHAR if ord(char) >= 0x2E80 else NARROW_CHAR for char in name)


def _fit(label: str, room: int = 12) -> str:
    """A category name short enough for the space left of its bar (the table has it whole)."""
    return label if len(label) <= room else label[: room - 1] + "…"
