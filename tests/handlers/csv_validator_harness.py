"""The csv-validator under test: its handler module, its environment and its buckets on moto."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from lambda_harness import LAMBDA_ROOT, FakeLambdaContext, load_lambda_module, put_on_path

FUNCTION_DIR = LAMBDA_ROOT / "csv_validator"
# The pure modules (orders_schema, csv_stream, ...) are imported flat by tests, as by the handler.
put_on_path(FUNCTION_DIR)

INPUT_BUCKET = "refarch-test-input"
OUTPUT_BUCKET = "refarch-test-output"
ENVIRONMENT = {
    "INPUT_BUCKET": INPUT_BUCKET,
    "OUTPUT_BUCKET": OUTPUT_BUCKET,
    "VALID_PREFIX": "curated/",
    "REJECTED_PREFIX": "rejected/",
    "INPUT_PREFIX": "incoming/",
}
HEADER = "order_id,customer_id,order_ts,amount,currency"
CURATED = f"curated/{INPUT_BUCKET}/"
"""Where the curated output of ``incoming/NAME.csv`` lands: ``CURATED + "NAME.jsonl"``."""
REJECTED = f"rejected/{INPUT_BUCKET}/"
"""Where its rejected rows land: ``REJECTED + "NAME.jsonl"``."""


def load_handler() -> ModuleType:
    """Import lambda/csv_validator/handler.py (as ``csv_validator_handler``)."""
    return load_lambda_module(FUNCTION_DIR, "handler", "csv_validator_handler")


def csv_body(*rows: str, header: str = HEADER, newline: str = "\n") -> bytes:
    """Return a CSV object: the header then the rows, each terminated by ``newline``."""
    return "".join(line + newline for line in (header, *rows)).encode()


@dataclass
class OrdersBuckets:
    """A versioned input and output bucket on moto, and the handler wired to them."""

    s3: Any
    handler: ModuleType
    context: FakeLambdaContext
    input_bucket: str = INPUT_BUCKET
    output_bucket: str = OUTPUT_BUCKET

    def put(self, key: str, body: bytes) -> dict[str, Any]:
        """Upload an input object; return the put_object response (with its VersionId)."""
        return self.s3.put_object(Bucket=self.input_bucket, Key=key, Body=body)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        """Invoke the handler in-process, as Lambda would."""
        return self.handler.lambda_handler(event, self.context)

    def output_keys(self) -> list[str]:
        """Return every key in the output bucket (current versions)."""
        response = self.s3.list_objects_v2(Bucket=self.output_bucket)
        return sorted(item["Key"] for item in response.get("Contents", []))

    def read_output(self, key: str) -> bytes:
        """Return an output object's bytes."""
        return self.s3.get_object(Bucket=self.output_bucket, Key=key)["Body"].read()

    def read_jsonl(self, key: str) -> list[dict[str, Any]]:
        """Return an output object's JSON Lines records."""
        # JSON Lines are separated by "\n" only: splitlines() would also split at U+0085 etc.
        return [json.loads(line) for line in self.read_output(key).decode().split("\n") if line]

    def output_metadata(self, key: str) -> dict[str, str]:
        """Return an output object's user metadata."""
        return self.s3.head_object(Bucket=self.output_bucket, Key=key)["Metadata"]

    def snapshot(self) -> dict[str, tuple[bytes, dict[str, str]]]:
        """Return every output object's bytes and metadata, keyed by output key."""
        return {
            key: (self.read_output(key), self.output_metadata(key)) for key in self.output_keys()
        }
