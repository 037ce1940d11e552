"""stream-to-lake with ``-c parquet=true``: Firehose converts with the stack's Glue table."""

import io
import json

import pyarrow.parquet as pq
import pytest
from assemblies import synthesized

from refarch.local import deploy, emulator
from refarch.local.landed import objects
from refarch.scenarios import stream_to_lake as scenario

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def parquet_stack():
    return synthesized("stream-to-lake", parquet="true")


def drain_first_round(assembly, template_hook=None):
    with emulator() as aws:
        stack = deploy("stream-to-lake", assembly=assembly, template_hook=template_hook)
        stack.kinesis_producer(scenario.STREAM).put_records(
            (p.partition_key, p.data) for p in scenario.FIRST_ROUND
        )
        report = stack.firehose(scenario.DELIVERY_STREAM).drain()
        return report, objects(stack, scenario.LAKE), list(aws.denials)


def test_valid_events_land_as_parquet_rows_with_the_table_s_columns(parquet_stack):
    report, landed, denials = drain_first_round(parquet_stack)

    assert denials == []
    assert (report.delivered, report.dropped, report.failed) == (24, 3, 3)
    tables = [
        pq.read_table(io.BytesIO(o.body)) for k, o in landed.items() if k.endswith(".parquet")
    ]
    assert len(tables) == 3  # one object per hourly partition
    columns = [name for name, _, _ in scenario_columns(parquet_stack)]
    assert all(table.column_names == columns for table in tables)
    rows = [row for table in tables for row in table.to_pylist()]
    assert sorted(r["event_id"] for r in rows) == sorted(
        json.loads(p.data)["event_id"] for p in scenario.FIRST_ROUND_VALID
    )
    assert all(r["user_key"] and r["event_time"].year == 2024 for r in rows)


def scenario_columns(assembly):
    table = next(
        r for r in assembly.template["Resources"].values() if r["Type"] == "AWS::Glue::Table"
    )
    return [
        (c["Name"], c["Type"], c.get("Comment"))
        for c in table["Properties"]["TableInput"]["StorageDescriptor"]["Columns"]
    ]


def test_without_the_glue_grant_conversion_fails_and_records_go_to_the_error_prefix(
    parquet_stack,
):
    def without_glue(template):
        for resource in template["Resources"].values():
            if resource["Type"] != "AWS::IAM::Policy":
                continue
            document = resource["Properties"]["PolicyDocument"]
            document["Statement"] = [
                s for s in document["Statement"] if not str(s["Action"]).count("glue:")
            ]

    report, landed, denials = drain_first_round(parquet_stack, template_hook=without_glue)

    assert {d.action for d in denials} == {"glue:GetTable"}
    assert report.delivered == 0
    assert report.failed == 24 + 3
    assert any("/format-conversion-failed/" in key for key in landed)
