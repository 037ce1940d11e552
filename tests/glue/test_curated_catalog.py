"""The job registers the days it wrote in the curated table: once each, at the day's folder."""

from __future__ import annotations

import boto3
import pytest
from curated_catalog import (
    MAX_PARTITIONS_PER_CALL,
    PartitionRegistrationError,
    partition_from_path,
    register_partitions,
)
from moto import mock_aws

DATABASE, TABLE = "lake", "events"
LOCATION = "s3://curated-bucket/curated/"


@pytest.fixture
def glue():
    with mock_aws():
        client = boto3.client("glue", region_name="us-east-1")
        client.create_database(DatabaseInput={"Name": DATABASE})
        client.create_table(
            DatabaseName=DATABASE,
            TableInput={
                "Name": TABLE,
                "PartitionKeys": [{"Name": k, "Type": "string"} for k in ("year", "month", "day")],
                "StorageDescriptor": {
                    "Columns": [{"Name": "event_id", "Type": "string"}],
                    "Location": LOCATION,
                    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    "SerdeInfo": {
                        "SerializationLibrary": (
                            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                        )
                    },
                },
                "TableType": "EXTERNAL_TABLE",
            },
        )
        yield client


def partitions(glue, expression: str = "") -> dict[tuple[str, ...], dict]:
    pages = glue.get_paginator("get_partitions").paginate(
        DatabaseName=DATABASE, TableName=TABLE, Expression=expression
    )
    return {tuple(p["Values"]): p for page in pages for p in page["Partitions"]}


def test_each_day_is_registered_at_its_folder_with_the_tables_format(glue):
    added = register_partitions(glue, DATABASE, TABLE, [("2024", "05", "02"), ("2024", "05", "01")])

    assert added == [("2024", "05", "01"), ("2024", "05", "02")]
    registered = partitions(glue)
    assert set(registered) == {("2024", "05", "01"), ("2024", "05", "02")}
    descriptor = registered[("2024", "05", "01")]["StorageDescriptor"]
    assert descriptor["Location"] == LOCATION + "year=2024/month=05/day=01/"
    assert descriptor["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert descriptor["Columns"] == [{"Name": "event_id", "Type": "string"}]


def test_a_repeated_run_registers_nothing_twice_and_does_not_fail(glue):
    register_partitions(glue, DATABASE, TABLE, [("2024", "05", "01")])

    added = register_partitions(glue, DATABASE, TABLE, [("2024", "05", "01"), ("2024", "05", "03")])

    assert added == [("2024", "05", "03")]
    assert len(partitions(glue)) == 2


def test_a_day_written_twice_in_one_run_is_registered_once(glue):
    assert register_partitions(glue, DATABASE, TABLE, [("2024", "05", "01")] * 3) == [
        ("2024", "05", "01")
    ]


def test_more_days_than_one_call_takes_are_registered_in_several_calls(glue):
    days = [("2024", f"{m:02d}", f"{d:02d}") for m in range(1, 6) for d in range(1, 29)]
    assert len(days) > MAX_PARTITIONS_PER_CALL

    assert len(register_partitions(glue, DATABASE, TABLE, days)) == len(days)
    assert len(partitions(glue)) == len(days)


def test_no_days_makes_no_call(glue):
    class NoCalls:
        def __getattr__(self, name):
            raise AssertionError(f"unexpected Glue call {name}")

    assert register_partitions(NoCalls(), DATABASE, TABLE, []) == []


def test_a_refused_partition_fails_the_run_naming_it():
    class Refusing:
        def get_table(self, **kwargs):
            return {"Table": {"StorageDescriptor": {"Location": LOCATION}}}

        def batch_create_partition(self, **kwargs):
            return {
                "Errors": [
                    {
                        "PartitionValues": ["2024", "05", "01"],
                        "ErrorDetail": {
                            "ErrorCode": "ResourceNumberLimitExceededException",
                            "ErrorMessage": "too many partitions",
                        },
                    }
                ]
            }

    with pytest.raises(PartitionRegistrationError, match="year=2024/month=05/day=01"):
        register_partitions(Refusing(), DATABASE, TABLE, [("2024", "05", "01")])


def test_the_registered_days_answer_a_one_day_expression(glue):
    register_partitions(
        glue, DATABASE, TABLE, [("2024", "05", "01"), ("2024", "05", "02"), ("2024", "06", "01")]
    )

    one_day = partitions(glue, "year = '2024' AND month = '05' AND day = '02'")

    assert list(one_day) == [("2024", "05", "02")]


def test_partition_paths_from_the_run_report_become_values():
    assert partition_from_path("year=2024/month=05/day=01") == ("2024", "05", "01")
    assert partition_from_path("year=2024/month=12/day=31/") == ("2024", "12", "31")
