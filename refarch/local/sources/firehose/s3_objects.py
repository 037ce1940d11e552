"""What Firehose writes to S3: object bodies (compressed), and its error records.

Error records, one JSON document per line, as the Firehose developer guide documents them:

- ``processing-failed`` ("Handle failure in data transformation"): ``attemptsMade``,
  ``arrivalTimestamp``, ``errorCode``, ``errorMessage``, ``attemptEndingTimestamp``, ``rawData``
  (the source record, base64) and ``lambdaArn``;
- ``format-conversion-failed`` ("Handling errors for data format conversion"): the same with
  ``lastErrorCode``/``lastErrorMessage``, the record's sequence numbers and the Glue table.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from refarch.local.sources.firehose.configuration import FormatConversion
from refarch.local.sources.firehose.transformation import SourceRecord, epoch_ms

#: The error type of records whose partition keys the prefix cannot be evaluated with. AWS's
#: docs say only that such records go to the error prefix "organized based on the error type".
PARTITIONING_FAILED = "partitioning-failed"


def compress(body: bytes, compression: str, entry_name: str) -> bytes:
    """Return ``body`` in the delivery stream's ``CompressionFormat``."""
    if compression == "GZIP":
        return gzip.compress(body)
    if compression == "ZIP":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(entry_name, body)
        return buffer.getvalue()
    return body


def decompress(body: bytes, key: str) -> bytes:
    """Return an object's content, undoing the compression its extension names."""
    if key.endswith(".gz"):
        return gzip.decompress(body)
    if key.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    return body


@dataclass(frozen=True)
class FailedRecord:
    """A record bound for the error prefix, and why."""

    source: SourceRecord
    error_output_type: str
    error_code: str
    error_message: str
    attempts: int
    attempt_ending: datetime
    lambda_arn: str = ""
    raw_data: bytes | None = None
    """What failed, if not the source record (the transformed record, for a conversion)."""

    conversion: FormatConversion | None = None

    def document(self, catalog_arn: str = "") -> dict[str, Any]:
        """Return the JSON document Firehose writes for this record."""
        raw = base64.b64encode(self.raw_data if self.raw_data is not None else self.source.data)
        if self.conversion is not None:
            conversion = self.conversion
            return {
                "attemptsMade": self.attempts,
                "arrivalTimestamp": epoch_ms(self.source.arrival),
                "lastErrorCode": self.error_code,
                "lastErrorMessage": self.error_message,
                "attemptEndingTimestamp": epoch_ms(self.attempt_ending),
                "rawData": raw.decode(),
                "sequenceNumber": self.source.sequence_number,
                "subSequenceNumber": self.source.subsequence_number,
                "dataCatalogTable": {
                    "catalogId": conversion.catalog_id,
                    "databaseName": conversion.database,
                    "tableName": conversion.table,
                    "region": conversion.region,
                    "versionId": conversion.version_id,
                    "catalogArn": catalog_arn,
                },
            }
        document: dict[str, Any] = {
            "attemptsMade": self.attempts,
            "arrivalTimestamp": epoch_ms(self.source.arrival),
            "errorCode": self.error_code,
            "errorMessage": self.error_message,
            "attemptEndingTimestamp": epoch_ms(self.attempt_ending),
            "rawData": raw.decode(),
        }
        if self.lambda_arn:
            document["lambdaArn"] = self.lambda_arn
        return document


def error_lines(documents: list[dict[str, Any]]) -> bytes:
    """Return error documents as JSON Lines."""
    return b"".join(json.dumps(d, separators=(",", ":")).encode() + b"\n" for d in documents)
