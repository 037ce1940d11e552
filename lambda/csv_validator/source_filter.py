"""Refuse S3 events for a bucket, prefix or suffix the function is not configured for.

The stack sets ``INPUT_BUCKET``, ``INPUT_PREFIX`` and ``INPUT_SUFFIX`` to what the bucket
notification filters on; any record outside them did not come from that notification.
"""

from __future__ import annotations

from s3_notification import SourceObject


class UnexpectedSourceError(ValueError):
    """The event names a bucket, prefix or suffix this function is not configured for."""


def check_configured(sources: list[SourceObject], bucket: str, prefix: str, suffix: str) -> None:
    """Refuse the event if any record is outside the configured bucket, prefix and suffix.

    Refusing raises rather than logging and skipping: a foreign record means a notification or a
    replay was pointed at the wrong function, and a skipped record would be an upload that is
    never processed and never accounted for. Raised before anything is read or written, the
    event is retried and then kept in the function's DLQ (alarmed), from where it can be
    redriven once the configuration is fixed: nothing is lost. (S3 sends one record per event, so
    no valid record is held back by a foreign one in practice.) The prefix and suffix are also
    what make output keys injective (``output_layout``).

    Raises:
        UnexpectedSourceError: Naming the first record that does not belong.
    """
    for index, source in enumerate(sources):
        problems = []
        if source.bucket != bucket:
            problems.append(f"bucket {source.bucket!r} is not {bucket!r}")
        if not source.key.startswith(prefix):
            problems.append(f"key does not start with {prefix!r}")
        if not source.key.endswith(suffix):
            problems.append(f"key does not end with {suffix!r}")
        elif len(source.key) < len(prefix) + len(suffix):
            problems.append("key is shorter than its prefix and suffix together")
        if problems:
            raise UnexpectedSourceError(
                f"record {index} (s3://{source.bucket}/{source.key[:200]}) is not for this "
                f"function: {'; '.join(problems)}"
            )
