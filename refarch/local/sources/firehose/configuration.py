"""A delivery stream's configuration, read from its resolved CloudFormation properties.

The provisioner converts the properties to the Firehose API's shapes (so every member has the
API's type) and hands them to ``DeliveryStreamConfig.parse``, which keeps what the engine acts on
and refuses, by name, every option the engine would otherwise ignore: a delivery stream either
behaves locally as configured, or does not deploy.

Defaults are the API's (Firehose developer guide): destination buffering 5 MB (128 MB with format
conversion) / 300 s, Lambda
processor buffering 1 MB / 60 s and 3 retries, no compression, no encryption setting (the bucket's
default encryption applies).

Accepted but not applied, because they change nothing a local run can observe:
``DynamicPartitioningConfiguration.RetryOptions`` (how long Firehose retries a failed S3 write:
locally a write fails for good, and its records are reported lost at once),
``S3BackupConfiguration`` while ``S3BackupMode`` is ``Disabled`` (AWS ignores it too), and
``ParquetSerDe`` ``BlockSizeBytes``/``MaxPaddingBytes`` (HDFS block alignment, not the rows).
Time-based buffering (``IntervalInSeconds``, ``BufferIntervalInSeconds``) is applied as the end of
each drain: nothing sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from refarch.local.errors import LocalRunnerError
from refarch.local.sources.firehose import prefixes

MIB = 1024 * 1024
#: Destination buffering defaults of ExtendedS3DestinationConfiguration.BufferingHints.
DEFAULT_BUFFER_SIZE_MB = 5
DEFAULT_BUFFER_INTERVAL_SECONDS = 300
#: With record format conversion the buffer is at least 64 MiB, 128 MiB unless set: "you can't
#: set SizeInMBs to a value less than 64 if you enable record format conversion ... The value
#: becomes 128 when you enable it"
#: (https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html).
FORMAT_CONVERSION_MIN_BUFFER_SIZE_MB = 64
FORMAT_CONVERSION_DEFAULT_BUFFER_SIZE_MB = 128
#: Lambda processor defaults: 1 MB / 60 s buffering, 3 retries of a failed invocation.
DEFAULT_PROCESSOR_BUFFER_SIZE_MB = 1
DEFAULT_PROCESSOR_BUFFER_INTERVAL_SECONDS = 60
DEFAULT_NUMBER_OF_RETRIES = 3
#: What each CompressionFormat adds to object names, and whether the runner can write it.
EXTENSIONS = {"UNCOMPRESSED": "", "GZIP": ".gz", "ZIP": ".zip"}
UNSUPPORTED_COMPRESSION = ("Snappy", "HADOOP_SNAPPY")


class UnsupportedDeliveryStreamError(LocalRunnerError):
    """A delivery stream option the local Firehose engine does not emulate."""

    def __init__(self, name: str, option: str, why: str = "") -> None:
        detail = f": {why}" if why else ""
        super().__init__(
            f"delivery stream {name}: the local runner does not emulate {option}{detail}"
        )
        self.option = option


class InvalidDeliveryStreamError(LocalRunnerError):
    """A configuration CreateDeliveryStream refuses (``InvalidArgumentException``)."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"delivery stream {name}: InvalidArgumentException: {problem}")


@dataclass(frozen=True)
class KinesisSource:
    """``KinesisStreamSourceConfiguration``: the stream read, and the role reading it."""

    stream_arn: str
    role_arn: str


@dataclass(frozen=True)
class LambdaProcessor:
    """The ``Lambda`` processor: the transform, its role, its buffering and retries."""

    function_arn: str
    role_arn: str
    """``RoleArn`` parameter, or the destination's role when it is not set."""

    buffer_size_bytes: int
    buffer_interval_seconds: int
    number_of_retries: int


@dataclass(frozen=True)
class FormatConversion:
    """``DataFormatConversionConfiguration``: JSON records to Parquet with a Glue table's schema."""

    catalog_id: str
    database: str
    table: str
    region: str
    role_arn: str
    version_id: str
    parquet: dict[str, Any]
    """``ParquetSerDe`` (compression, page size, dictionary, writer version)."""

    case_insensitive: bool
    column_to_json_key: dict[str, str] = field(default_factory=dict)
    timestamp_formats: tuple[str, ...] = ()
    """``HiveJsonSerDe.TimestampFormats``: Joda-Time patterns, or ``millis``, tried in order."""


@dataclass(frozen=True)
class S3Destination:
    """``ExtendedS3DestinationConfiguration`` as the engine applies it."""

    bucket_arn: str
    role_arn: str
    prefix: str
    """The prefix as evaluated (a plain prefix has the default time prefix appended)."""

    error_prefix: str
    buffer_size_bytes: int
    buffer_interval_seconds: int
    compression: str
    extension: str
    kms_key_arn: str | None
    log_group: str | None
    log_stream: str | None
    time_zone: ZoneInfo
    dynamic_partitioning: bool
    processors: tuple[Any, ...]
    """``LambdaProcessor`` and ``AppendDelimiter`` steps, in the order Firehose applies them."""

    format_conversion: FormatConversion | None

    @property
    def bucket(self) -> str:
        """The bucket name."""
        return self.bucket_arn.rsplit(":", 1)[-1]

    @property
    def lambda_processor(self) -> LambdaProcessor | None:
        """The transform, if there is one."""
        return next((p for p in self.processors if isinstance(p, LambdaProcessor)), None)


@dataclass(frozen=True)
class AppendDelimiter:
    """The ``AppendDelimiterToRecord`` processor: a delimiter after every record."""

    delimiter: bytes


@dataclass(frozen=True)
class DeliveryStreamConfig:
    """Everything the engine needs about one delivery stream."""

    name: str
    arn: str
    version: int
    source: KinesisSource
    destination: S3Destination

    @classmethod
    def parse(cls, name: str, arn: str, api: dict[str, Any]) -> DeliveryStreamConfig:
        """Read ``CreateDeliveryStream`` arguments (API shapes); refuse what is not emulated.

        Raises:
            UnsupportedDeliveryStreamError: An option the engine does not emulate.
            prefixes.PrefixError: A prefix AWS would refuse or the runner cannot evaluate.
            InvalidDeliveryStreamError: Buffering CreateDeliveryStream refuses.
        """
        stream_type = api.get("DeliveryStreamType", "DirectPut")
        if stream_type != "KinesisStreamAsSource":
            raise UnsupportedDeliveryStreamError(name, f"DeliveryStreamType {stream_type}")
        extended = api.get("ExtendedS3DestinationConfiguration")
        if extended is None:
            raise UnsupportedDeliveryStreamError(
                name, "destinations other than ExtendedS3DestinationConfiguration"
            )
        source = api["KinesisStreamSourceConfiguration"]
        return cls(
            name=name,
            arn=arn,
            version=1,
            source=KinesisSource(source["KinesisStreamARN"], source["RoleARN"]),
            destination=_destination(name, extended),
        )


def _parameters(processor: dict[str, Any]) -> dict[str, str]:
    return {p["ParameterName"]: p["ParameterValue"] for p in processor.get("Parameters", [])}


def _processors(name: str, config: dict[str, Any]) -> tuple[Any, ...]:
    processing = config.get("ProcessingConfiguration", {})
    if not processing.get("Enabled", bool(processing.get("Processors"))):
        return ()
    steps: list[Any] = []
    for processor in processing.get("Processors", []):
        kind = processor["Type"]
        parameters = _parameters(processor)
        if kind == "Lambda":
            steps.append(
                LambdaProcessor(
                    function_arn=parameters["LambdaArn"],
                    role_arn=parameters.get("RoleArn", config["RoleARN"]),
                    buffer_size_bytes=int(
                        float(parameters.get("BufferSizeInMBs", DEFAULT_PROCESSOR_BUFFER_SIZE_MB))
                        * MIB
                    ),
                    buffer_interval_seconds=int(
                        parameters.get(
                            "BufferIntervalInSeconds", DEFAULT_PROCESSOR_BUFFER_INTERVAL_SECONDS
                        )
                    ),
                    number_of_retries=int(
                        parameters.get("NumberOfRetries", DEFAULT_NUMBER_OF_RETRIES)
                    ),
                )
            )
        elif kind == "AppendDelimiterToRecord":
            delimiter = parameters.get("Delimiter", "\\n")
            steps.append(AppendDelimiter(delimiter.encode().decode("unicode_escape").encode()))
        else:
            raise UnsupportedDeliveryStreamError(name, f"the {kind} processor")
    # Firehose runs the transform before the delimiter is appended.
    steps.sort(key=lambda step: not isinstance(step, LambdaProcessor))
    return tuple(steps)


def _format_conversion(name: str, config: dict[str, Any]) -> FormatConversion | None:
    conversion = config.get("DataFormatConversionConfiguration")
    if not conversion or not conversion.get("Enabled", True):
        return None
    serializer = conversion.get("OutputFormatConfiguration", {}).get("Serializer", {})
    if "ParquetSerDe" not in serializer:
        raise UnsupportedDeliveryStreamError(
            name, f"output format {', '.join(serializer) or 'none'}", "only Parquet is written"
        )
    deserializer = conversion.get("InputFormatConfiguration", {}).get("Deserializer", {})
    openx = deserializer.get("OpenXJsonSerDe")
    if openx is None and "HiveJsonSerDe" not in deserializer:
        raise UnsupportedDeliveryStreamError(name, f"input format {', '.join(deserializer)}")
    if openx and openx.get("ConvertDotsInJsonKeysToUnderscores"):
        raise UnsupportedDeliveryStreamError(
            name, "OpenXJsonSerDe.ConvertDotsInJsonKeysToUnderscores"
        )
    hive = deserializer.get("HiveJsonSerDe") or {}
    schema = conversion["SchemaConfiguration"]
    return FormatConversion(
        catalog_id=schema["CatalogId"],
        database=schema["DatabaseName"],
        table=schema["TableName"],
        region=schema.get("Region", ""),
        role_arn=schema["RoleARN"],
        version_id=schema.get("VersionId", "LATEST"),
        parquet=serializer["ParquetSerDe"],
        # The OpenX SerDe matches JSON keys to columns case-insensitively unless told otherwise.
        case_insensitive=(openx or {}).get("CaseInsensitive", True),
        column_to_json_key=(openx or {}).get("ColumnToJsonKeyMappings", {}),
        timestamp_formats=tuple(hive.get("TimestampFormats", ())),
    )


def _destination(name: str, config: dict[str, Any]) -> S3Destination:
    backup = config.get("S3BackupMode", "Disabled")
    if backup != "Disabled":
        raise UnsupportedDeliveryStreamError(name, f"S3BackupMode {backup}")
    compression = config.get("CompressionFormat", "UNCOMPRESSED")
    if compression not in EXTENSIONS:
        raise UnsupportedDeliveryStreamError(name, f"CompressionFormat {compression}")
    conversion = _format_conversion(name, config)
    if conversion is not None and compression != "UNCOMPRESSED":
        # AWS refuses it too: with format conversion the serializer compresses.
        raise UnsupportedDeliveryStreamError(
            name, f"CompressionFormat {compression} with format conversion"
        )
    dynamic = config.get("DynamicPartitioningConfiguration", {}).get("Enabled", False)
    raw_prefix = config.get("Prefix")
    raw_error_prefix = config.get("ErrorOutputPrefix")
    prefixes.validate(raw_prefix or "", error_prefix=False, dynamic_partitioning=dynamic)
    prefixes.validate(
        raw_error_prefix or "",
        error_prefix=True,
        dynamic_partitioning=dynamic,
        what="ErrorOutputPrefix",
    )
    if dynamic and not raw_error_prefix:
        raise prefixes.PrefixError("dynamic partitioning needs an ErrorOutputPrefix")
    namespaces = {e.namespace for e in prefixes.expressions(raw_prefix or "")}
    processors = _processors(name, config)
    if "partitionKeyFromQuery" in namespaces:
        raise UnsupportedDeliveryStreamError(
            name, "partitionKeyFromQuery", "the MetadataExtraction (JQ) processor is not emulated"
        )
    if "partitionKeyFromLambda" in namespaces and not any(
        isinstance(p, LambdaProcessor) for p in processors
    ):
        raise prefixes.PrefixError("partitionKeyFromLambda needs a Lambda processor")
    hints = _buffering_hints(name, config, dynamic=dynamic, conversion=conversion is not None)
    encryption = config.get("EncryptionConfiguration", {})
    logging = config.get("CloudWatchLoggingOptions", {})
    logging_on = logging.get("Enabled", False)
    extension = config.get("FileExtension")
    if extension is None:
        extension = ".parquet" if conversion is not None else EXTENSIONS[compression]
    return S3Destination(
        bucket_arn=config["BucketARN"],
        role_arn=config["RoleARN"],
        prefix=prefixes.effective_prefix(raw_prefix),
        error_prefix=prefixes.effective_error_prefix(raw_error_prefix, raw_prefix),
        buffer_size_bytes=hints["SizeInMBs"] * MIB,
        buffer_interval_seconds=hints["IntervalInSeconds"],
        compression=compression,
        extension=extension,
        kms_key_arn=encryption.get("KMSEncryptionConfig", {}).get("AWSKMSKeyARN"),
        log_group=logging.get("LogGroupName") if logging_on else None,
        log_stream=logging.get("LogStreamName") if logging_on else None,
        time_zone=ZoneInfo(config.get("CustomTimeZone") or "UTC"),
        dynamic_partitioning=dynamic,
        processors=processors,
        format_conversion=conversion,
    )


def _buffering_hints(
    name: str, config: dict[str, Any], *, dynamic: bool, conversion: bool
) -> dict[str, int]:
    """``BufferingHints`` with the API's defaults, refused where CreateDeliveryStream refuses.

    Both or neither: "if you specify a value for one of them, you must also provide a value for
    the other" (https://docs.aws.amazon.com/firehose/latest/dev/buffering-hints.html); no zero
    interval with dynamic partitioning ("Zero buffering feature is not available for dynamic
    partitioning": https://docs.aws.amazon.com/firehose/latest/dev/buffering.html); at least
    ``FORMAT_CONVERSION_MIN_BUFFER_SIZE_MB`` with format conversion.
    """
    given = config.get("BufferingHints") or {}
    if ("SizeInMBs" in given) != ("IntervalInSeconds" in given):
        raise InvalidDeliveryStreamError(
            name, "BufferingHints needs both SizeInMBs and IntervalInSeconds, or neither"
        )
    default_size = (
        FORMAT_CONVERSION_DEFAULT_BUFFER_SIZE_MB if conversion else DEFAULT_BUFFER_SIZE_MB
    )
    size = int(given.get("SizeInMBs", default_size))
    interval = int(given.get("IntervalInSeconds", DEFAULT_BUFFER_INTERVAL_SECONDS))
    if dynamic and interval == 0:
        raise InvalidDeliveryStreamError(
            name, "IntervalInSeconds 0: zero buffering is not available with dynamic partitioning"
        )
    if conversion and size < FORMAT_CONVERSION_MIN_BUFFER_SIZE_MB:
        raise InvalidDeliveryStreamError(
            name,
            f"BufferingHints.SizeInMBs must be at least {FORMAT_CONVERSION_MIN_BUFFER_SIZE_MB} "
            "when data format conversion is enabled",
        )
    return {"SizeInMBs": size, "IntervalInSeconds": interval}
