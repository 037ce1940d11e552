"""Streaming: the CSV validator's memory must stay flat in object size.

Uploads a small and a large orders CSV to a `moto_server` running as a separate process, runs
the handler on each in a fresh child process (`bench.measure_handler`), and compares the growth
of the handler process's peak RSS over its post-import baseline. The small object is the floor.
Targets: growth(large) / growth(small) <= 1.2; throughput is reported in MB/s.

    python -m bench.streaming_memory [--small-mb 5] [--large-mb 500]
"""

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3

from refarch import REPO_ROOT

TARGET_RATIO = 1.2
INPUT_BUCKET = "bench-input"
OUTPUT_BUCKET = "bench-output"
HEADER = b"order_id,customer_id,order_ts,amount,currency\n"


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Run `moto_server` on 127.0.0.1 in its own process; yield its endpoint URL."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # wait until it accepts connections, bounded
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("moto_server did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


class CsvGenerator:
    """A read()-able stream of `size` bytes of valid orders CSV, generated on the fly."""

    def __init__(self, size: int) -> None:
        self._remaining = size - len(HEADER)
        self._pending = HEADER
        self._row = 0

    def read(self, amount: int = -1) -> bytes:
        """Return up to `amount` bytes; ends exactly at the requested size on a row boundary."""
        amount = amount if amount and amount > 0 else 8 * 1024 * 1024
        chunks, produced = [self._pending], len(self._pending)
        self._pending = b""
        while produced < amount and self._remaining > 0:
            self._row += 1
            row = (
                f"ORD-{self._row:010d},CUST-{self._row % 9973:05d},"
                f"2026-01-{1 + self._row % 28:02d}T12:{self._row % 60:02d}:00Z,"
                f"{self._row % 100000 / 100:.2f},EUR\n"
            ).encode()
            if len(row) > self._remaining:
                break
            chunks.append(row)
            produced += len(row)
            self._remaining -= len(row)
        data = b"".join(chunks)
        self._pending = data[amount:]
        return data[:amount]


def measure(endpoint: str, size_mb: int) -> dict:
    """Upload a CSV of `size_mb` MB, run the handler on it in a child process; return its report."""
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    key = f"incoming/orders-{size_mb}mb.csv"
    s3.upload_fileobj(CsvGenerator(size_mb * 1_000_000), INPUT_BUCKET, key)
    version_id = s3.head_object(Bucket=INPUT_BUCKET, Key=key)["VersionId"]
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "INPUT_BUCKET": INPUT_BUCKET,
        "OUTPUT_BUCKET": OUTPUT_BUCKET,
        "POWERTOOLS_SERVICE_NAME": "csv-validator",
        "POWERTOOLS_METRICS_NAMESPACE": "refarch-bench",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    child = subprocess.run(
        [sys.executable, "-m", "bench.measure_handler", INPUT_BUCKET, key, version_id],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )
    report = json.loads(child.stdout.strip().splitlines()[-1])
    report["size_mb"] = size_mb
    report["growth_mib"] = (report["peak_kib"] - report["baseline_kib"]) / 1024
    return report


def main(argv: list[str] | None = None) -> int:
    """Measure both sizes against one emulator; print growth, ratio and throughput."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small-mb", type=int, default=5)
    parser.add_argument("--large-mb", type=int, default=500)
    args = parser.parse_args(argv)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    with moto_server() as endpoint:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        for bucket in (INPUT_BUCKET, OUTPUT_BUCKET):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        small = measure(endpoint, args.small_mb)
        large = measure(endpoint, args.large_mb)
    for report in (small, large):
        (record,) = report["records"]
        print(
            f"{report['size_mb']:>5} MB: peak RSS growth {report['growth_mib']:6.1f} MiB "
            f"(baseline {report['baseline_kib'] / 1024:.0f} MiB), "
            f"{report['seconds']:.1f} s, {report['size_mb'] / report['seconds']:.1f} MB/s, "
            f"outcome {record['outcome']}, valid rows {record.get('valid')}"
        )
    ratio = large["growth_mib"] / small["growth_mib"]
    print(
        f"memory growth ratio {args.large_mb} MB / {args.small_mb} MB (floor): {ratio:.2f} "
        f"(target <= {TARGET_RATIO})"
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
