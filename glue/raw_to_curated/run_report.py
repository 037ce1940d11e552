"""What one run of the job did, in numbers: the local runner prints it, Glue logs it as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunReport:
    """Counts of one run. Every row read is curated, quarantined or a removed duplicate.

    Attributes:
        files_read: Input files this run read (new or changed since the bookmark).
        rows_read: Records in those files (blank lines are not records).
        rows_curated: Rows written to the curated table.
        rows_quarantined: Rows written to the quarantine, by reason code.
        duplicates_in_input: Later copies of an ``event_id`` within this run's input.
        duplicates_already_curated: Events already in the curated table from an earlier run.
        partitions_written: ``year=YYYY/month=MM/day=DD`` of each partition that got rows.
        unexpected_fields: Field names in the input that the contract does not know.
    """

    files_read: int = 0
    rows_read: int = 0
    rows_curated: int = 0
    rows_quarantined: Mapping[str, int] = field(default_factory=dict)
    duplicates_in_input: int = 0
    duplicates_already_curated: int = 0
    partitions_written: tuple[str, ...] = ()
    unexpected_fields: tuple[str, ...] = ()

    @property
    def quarantined_total(self) -> int:
        """Rows quarantined, all reasons."""
        return sum(self.rows_quarantined.values())

    @property
    def duplicates_removed(self) -> int:
        """Rows not written because their event was written once already (this run or before)."""
        return self.duplicates_in_input + self.duplicates_already_curated

    @property
    def rows_accounted_for(self) -> int:
        """Curated + quarantined + duplicates removed: equals ``rows_read`` when nothing is lost."""
        return self.rows_curated + self.quarantined_total + self.duplicates_removed

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values, derived totals included."""
        return {
            **asdict(self),
            "rows_quarantined": dict(sorted(self.rows_quarantined.items())),
            "partitions_written": list(self.partitions_written),
            "unexpected_fields": list(self.unexpected_fields),
            "quarantined_total": self.quarantined_total,
            "duplicates_removed": self.duplicates_removed,
        }

    def summary(self) -> str:
        """One line for a person: what was read and where every row went."""
        reasons = ", ".join(f"{n} {r}" for r, n in sorted(self.rows_quarantined.items()))
        return (
            f"{self.files_read} files, {self.rows_read} rows read: {self.rows_curated} curated "
            f"into {len(self.partitions_written)} partitions, {self.quarantined_total} "
            f"quarantined{f' ({reasons})' if reasons else ''}, "
            f"{self.duplicates_removed} duplicates removed"
        )
