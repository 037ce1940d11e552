"""Child process of the streaming benchmark: run the CSV validator once, report its memory.

Runs in a process of its own with `AWS_ENDPOINT_URL` pointing at a separate `moto_server`, so its
peak RSS is the handler's own footprint, not the emulator's copies of the object. Prints one JSON
line: baseline and peak RSS (KiB), seconds, and the handler's result.

    python -m bench.measure_handler BUCKET KEY VERSION_ID
"""

import json
import sys
import time
import uuid
from urllib.parse import quote_plus

from refarch import LAMBDA_ROOT


class _Context:
    """The few LambdaContext attributes Powertools' logger reads."""

    function_name = "csv-validator-bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:csv-validator-bench"
    aws_request_id = str(uuid.uuid4())


def _status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in KiB."""
    for line in open("/proc/self/status").read().splitlines():  # noqa: SIM115 - tiny proc file
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak_rss() -> int:
    """Reset the peak RSS to the current RSS and return it (KiB).

    getrusage's ru_maxrss survives exec, so it would report the parent's size at fork; the
    kernel's VmHWM, reset through clear_refs, counts only from here on.
    """
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    return _status_kib("VmRSS")


def peak_rss_kib() -> int:
    """The process's peak resident set size since the last reset (KiB)."""
    return _status_kib("VmHWM")


def main(bucket: str, key: str, version_id: str) -> None:
    """Import the handler, record the baseline, process one S3 event, record the peak."""
    sys.path.insert(0, str(LAMBDA_ROOT / "csv_validator"))
    import handler  # the asset directory's module, as Lambda imports it

    handler.s3_client()  # the client exists before the baseline: it is not per-object memory
    event = {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-01-01T00:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "versionId": version_id,
                        "sequencer": "0055AED6DCD90281E5",
                    },
                },
            }
        ]
    }
    baseline = reset_peak_rss()
    started = time.perf_counter()
    result = handler.lambda_handler(event, _Context())
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {"baseline_kib": baseline, "peak_kib": peak_rss_kib(), "seconds": seconds, **result}
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
