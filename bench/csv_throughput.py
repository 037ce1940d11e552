"""CSV validator throughput: parse + validate + serialise vs bare ``csv.reader`` + ``json.dumps``.

A realistic orders file (``--mb``, default 24 MB): the schema's columns plus one extra column the
handler drops, mixed timestamp forms (``Z``, offsets, naive, space-separated, fractions), amounts
with 0-2 decimals, ids of varying length, a few quoted fields, and 1 row in 10 rejected
(negative or 3-decimal amounts, lowercase currencies, date-only timestamps, ragged rows).

The figure is the handler's real row path, ``handler._write_rows``: ``read_csv_records``
(chunked strict UTF-8 decode, record cap, csv parsing), ``parse_header``, ``validate_row``,
``curated_json_line`` and the rejection records. The floor, on the same bytes, is the least any
validator must do: decode, ``csv.reader``, ``json.dumps`` of each row's fields, encode, no
validation. **Both use in-memory I/O** (``io.BytesIO`` in, ``io.BytesIO`` out; no S3, no
multipart writer), so only processing is compared. Timed with ``time.perf_counter``, floor and
figure alternately, median of ``--repeat`` runs each; the ratio of medians is robust to the
noise of a shared machine, absolute MB/s are not.

Target: throughput ratio figure / floor >= 0.5.

    python -m bench.csv_throughput [--mb 24] [--repeat 5] [--profile]
"""

import argparse
import cProfile
import csv
import io
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.handler_ratio import load_function

TARGET_RATIO = 0.5
HEADER = "order_id,customer_id,order_ts,amount,currency,channel\n"
CHANNELS = ("web", "app", "store", "phone")


def order_row(n: int) -> str:
    """The n-th row of the file: 1 in 10 breaks a rule, the rest are valid."""
    second = n % 86_400
    day = 1 + n % 28
    clock = f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
    kind = n % 5
    if kind == 0:
        order_ts = f"2026-03-{day:02d}T{clock}Z"
    elif kind == 1:
        order_ts = f"2026-03-{day:02d}T{clock}+02:00"
    elif kind == 2:
        order_ts = f"2026-03-{day:02d} {clock}"
    elif kind == 3:
        order_ts = f"2026-03-{day:02d}T{clock}.{n % 1000:03d}-05:00"
    else:
        order_ts = f"2026-03-{day:02d}T{clock}"
    cents = n * 7919 % 1_000_000
    amount = (f"{cents // 100}.{cents % 100:02d}", f"{cents // 100}", f"{cents // 10 / 10}")[n % 3]
    order_id = f"ORD-{n:010d}" if n % 4 else f"ord-2026-03-{n:08d}-{'x' * (n % 13)}"
    customer = f"CUST-{n * 31 % 99_991:06d}"
    if n % 17 == 0:
        customer = f'"{customer}, Ltd"'  # a quoted field with a comma
    currency = ("EUR", "USD", "GBP", "CHF")[n % 4]
    fault = n % 50
    if fault == 7:
        amount = f"-{amount}"
    elif fault == 19:
        currency = currency.lower()
    elif fault == 31:
        order_ts = order_ts[:10]
    elif fault == 43:
        return f"{order_id},{customer},{order_ts},{amount}\n"  # ragged
    elif fault == 47:
        amount = f"{amount.split('.')[0]}.125"
    return f"{order_id},{customer},{order_ts},{amount},{currency},{CHANNELS[n % 4]}\n"


def orders_file(size_bytes: int) -> bytes:
    """Header then rows until the file holds about ``size_bytes``."""
    parts, size, n = [HEADER], len(HEADER), 0
    while size < size_bytes:
        row = order_row(n)
        parts.append(row)
        size += len(row)
        n += 1
    return "".join(parts).encode()


def load_handler() -> Any:
    """Import the handler from its asset directory, as Lambda does (logging kept quiet)."""
    import os

    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "csv-validator")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "refarch-bench")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    handler = load_function("csv_validator")

    return handler


def floor_pass(body: bytes) -> tuple[int, int]:
    """The least work on the same bytes: decode, csv.reader, json.dumps per row, encode."""
    out = io.BytesIO()
    rows = 0
    text = io.TextIOWrapper(io.BytesIO(body), encoding="utf-8", newline="")
    for fields in csv.reader(text):
        out.write((json.dumps(fields, ensure_ascii=False, separators=(",", ":")) + "\n").encode())
        rows += 1
    return rows - 1, 0  # the header is not a data row


def figure_pass(handler: Any, body: bytes) -> tuple[int, int]:
    """The handler's row path on the same bytes, writing to in-memory outputs."""
    from s3_notification import SourceObject

    source = SourceObject("ObjectCreated:Put", "bench-in", "incoming/o.csv", "v1", "0A")
    return handler._write_rows(source, io.BytesIO(body), io.BytesIO(), io.BytesIO())


def timed(work: Callable[[], Any]) -> float:
    """Wall time of one call."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def profile(handler: Any, body: bytes, top: int) -> None:
    """Print the top entries (by own time) of one figure pass under cProfile."""
    profiler = cProfile.Profile()
    profiler.runcall(figure_pass, handler, body)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    """Build the file, check every row is accounted for, time both passes; print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=24.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one pass")
    args = parser.parse_args(argv)
    handler = load_handler()
    body = orders_file(int(args.mb * 1e6))
    rows, _ = floor_pass(body)
    valid, rejected = figure_pass(handler, body)
    if valid + rejected != rows or not valid or not rejected:
        raise RuntimeError(f"rows not accounted for: {valid} + {rejected} != {rows}")
    if args.profile:
        profile(handler, body, 15)
    floors, figures = [], []
    for _ in range(args.repeat):
        floors.append(timed(lambda: floor_pass(body)))
        figures.append(timed(lambda: figure_pass(handler, body)))
    floor, figure = statistics.median(floors), statistics.median(figures)
    size_mb = len(body) / 1e6
    ratio = floor / figure
    print(
        f"{size_mb:.1f} MB, {rows:,} rows ({valid:,} curated, {rejected:,} rejected), "
        f"median of {args.repeat}: floor (csv.reader + json.dumps) {size_mb / floor:5.1f} MB/s, "
        f"handler (parse + validate + serialise) {size_mb / figure:5.1f} MB/s"
    )
    print(f"throughput ratio handler / floor: {ratio:.2f} (target >= {TARGET_RATIO})")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
