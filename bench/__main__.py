"""Run every benchmark in turn: `python -m bench` (or `make bench`)."""

import sys

from bench import (
    csv_throughput,
    dynamodb_cdc,
    firehose_transform,
    glue_incremental,
    header_width,
    model_monitor,
    queue_worker,
    stream_consumer,
    streaming_memory,
    synth_ratio,
)

if __name__ == "__main__":
    failed = 0
    for benchmark in (
        synth_ratio,
        streaming_memory,
        header_width,
        csv_throughput,
        firehose_transform,
        queue_worker,
        stream_consumer,
        dynamodb_cdc,
        glue_incremental,
        model_monitor,
    ):
        print(f"== {benchmark.__name__}")
        failed += benchmark.main([]) != 0
    sys.exit(1 if failed else 0)
