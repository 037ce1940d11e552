"""Header handling vs column count: the CSV validator reads and maps a header in linear time.

For widths up to the 1 MiB record cap, times what the handler does with a header line (stream it
through ``read_csv_records``, then ``parse_header``: blank-name, duplicate and missing-column
checks and the column mapping) for two shapes: all-blank names (a line of commas, rejected) and
distinct names (the orders columns plus 3-character names, accepted). The floor, measured in the
same run, is ``str.split(",")`` of the same line: the least any parser must do. Figures:

- per width, milliseconds (median), microseconds per column, and the ratio to the floor;
- growth: the exponent k of time ~ columns**k, fitted (least squares on log-log) over all
  widths, for the handler and for the floor. 1 is linear, 2 quadratic (what one ``list.count``
  or ``list.index`` per name costs). A fit over all widths is used rather than two end points
  because a machine shared with other work makes any single timing noisy. Larger lists also pay
  a little more per element in cache misses and allocation, which the floor's own exponent shows.

Target: exponent <= 1.5 for both shapes (halfway to quadratic: a shared machine moves the fit
by about 0.2 either way), and the widest header decided in under a second.

    python -m bench.header_width [--repeat N]
"""

import argparse
import io
import itertools
import math
import statistics
import string
import sys
import time

from refarch import LAMBDA_ROOT

sys.path.insert(0, str(LAMBDA_ROOT / "csv_validator"))

from csv_stream import MAX_RECORD_CHARS, read_csv_records
from orders_schema import REQUIRED_COLUMNS, HeaderError, parse_header

TARGET_EXPONENT = 1.5
TARGET_WIDEST_SECONDS = 1.0
_ALPHABET = string.ascii_letters + string.digits


def blank_header(columns: int) -> bytes:
    """A header of ``columns`` blank names: ``columns - 1`` commas."""
    return b"," * (columns - 1) + b"\n"


def named_header(columns: int) -> bytes:
    """The orders columns, then distinct 3-character names up to ``columns`` in all."""
    extra = itertools.islice(
        itertools.product(_ALPHABET, repeat=3), columns - len(REQUIRED_COLUMNS)
    )
    names = [*REQUIRED_COLUMNS, *("".join(triple) for triple in extra)]
    return (",".join(names) + "\n").encode()


def handle_header(body: bytes) -> str:
    """Do what the handler does with a header; return its outcome."""
    header = next(read_csv_records(io.BytesIO(body)))
    if header.fields is None:
        return "unreadable"
    try:
        return f"accepted, {parse_header(header.fields).field_count} columns"
    except HeaderError as exc:
        return f"rejected: {str(exc)[:60]}"


def floor(body: bytes) -> int:
    """The least work on the same line: split it into fields."""
    return len(body.decode().split(","))


def median_seconds(work, body: bytes, repeat: int) -> float:
    """Median wall time of ``work(body)`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work(body)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def growth_exponent(widths: list[int], seconds: list[float]) -> float:
    """The slope of log(seconds) against log(width), by least squares: k in time ~ width**k."""
    xs = [math.log(width) for width in widths]
    ys = [math.log(max(value, 1e-9)) for value in seconds]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def main(argv: list[str] | None = None) -> int:
    """Time both header shapes at widths up to the cap; print figures, floors and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    ok = True
    shapes = {
        # A line of commas at the cap: MAX_RECORD_CHARS - 1 commas and the newline.
        "blank names": (blank_header, [10_000, 30_000, 100_000, 300_000, MAX_RECORD_CHARS]),
        # 4 bytes per name: 230,000 names are ~920 KB, within the cap.
        "distinct names": (named_header, [10_000, 30_000, 100_000, 230_000]),
    }
    for shape, (build, widths) in shapes.items():
        print(f"{shape}:")
        figures, floors = [], []
        for columns in widths:
            body = build(columns)
            assert len(body) <= MAX_RECORD_CHARS, (shape, columns, len(body))
            outcome = handle_header(body)
            figure = median_seconds(handle_header, body, args.repeat)
            base = median_seconds(floor, body, args.repeat)
            figures.append(figure)
            floors.append(base)
            print(
                f"  {columns:>9,} columns ({len(body):>9,} bytes): {figure * 1000:7.1f} ms "
                f"({figure / columns * 1e6:4.2f} us/column), floor (split) {base * 1000:5.1f} ms, "
                f"ratio {figure / base:5.1f}; {outcome}"
            )
        exponent = growth_exponent(widths, figures)
        print(
            f"  growth: time ~ columns^{exponent:.2f} (floor's own "
            f"^{growth_exponent(widths, floors):.2f}; linear is ^1, target <= ^{TARGET_EXPONENT}); "
            f"widest {figures[-1]:.3f} s (target < {TARGET_WIDEST_SECONDS} s)"
        )
        ok = ok and exponent <= TARGET_EXPONENT and figures[-1] < TARGET_WIDEST_SECONDS
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
