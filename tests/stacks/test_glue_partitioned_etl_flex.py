"""The Glue pattern's Flex variant (`-c flex=true`): what it sets, and what it refuses.

Flex runs on spare capacity at a lower price and with the same capabilities, Glue Auto Scaling
included; the props refuse the Glue versions and worker types Flex does not run on.
"""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_glue as glue

from refarch.stacks.glue_partitioned_etl import GluePartitionedEtlProps, GluePartitionedEtlStack

PATTERN_ID = "glue-partitioned-etl"


@pytest.fixture(scope="module")
def flex(synth):
    return synth(PATTERN_ID, flex="true", worker_type="G.2X")


def test_flex_switch_runs_the_job_in_the_flex_class_with_auto_scaling(flex):
    # Flex jobs have "the same capabilities, including ... Glue Auto Scaling" (the Flex launch
    # post): workers stay a ceiling, not a fixed fleet billed for the whole run.
    job = flex.props("AWS::Glue::Job")
    assert job["ExecutionClass"] == "FLEX"
    assert job["GlueVersion"] == "5.0"
    assert job["WorkerType"] == "G.2X"
    assert job["JobRunQueuingEnabled"] is False
    assert job["DefaultArguments"]["--enable-auto-scaling"] == "true"
    assert job["DefaultArguments"]["--job-bookmark-option"] == "job-bookmark-enable"


@pytest.mark.parametrize(
    ("glue_version", "worker_type"),
    [
        (glue.GlueVersion.V2_0, glue.WorkerType.G_1X),
        (glue.GlueVersion.V5_0, glue.WorkerType.G_4X),
        (glue.GlueVersion.V5_0, glue.WorkerType.STANDARD),
    ],
)
def test_flex_refuses_glue_before_3_0_and_workers_other_than_g1x_or_g2x(glue_version, worker_type):
    with pytest.raises(ValueError, match=r"Flex execution class needs Glue 3\.0 or later"):
        GluePartitionedEtlProps(flex=True, glue_version=glue_version, worker_type=worker_type)


@pytest.mark.parametrize(
    ("glue_version", "worker_type"),
    [
        (glue.GlueVersion.V2_0, glue.WorkerType.G_1X),
        (glue.GlueVersion.V5_0, glue.WorkerType.STANDARD),
        (glue.GlueVersion.V5_0, glue.WorkerType.G_025X),
    ],
)
def test_auto_scaling_refuses_glue_before_3_0_and_standard_or_streaming_workers(
    glue_version, worker_type
):
    # The job always scales, so every job must be one Glue can scale.
    with pytest.raises(ValueError, match=r"auto scaling needs Glue 3\.0 or later"):
        GluePartitionedEtlProps(glue_version=glue_version, worker_type=worker_type)


@pytest.mark.parametrize("worker_type", [glue.WorkerType.G_1X, glue.WorkerType.G_2X])
def test_flex_accepts_glue_3_0_with_g1x_or_g2x(worker_type):
    props = GluePartitionedEtlProps(
        flex=True, glue_version=glue.GlueVersion.V3_0, worker_type=worker_type
    )
    assert props.flex


def test_flex_constraint_also_applies_to_context_switches():
    app = cdk.App(context={"flex": "true", "worker_type": "G.4X"})
    with pytest.raises(ValueError, match=r"G\.1X or G\.2X"):
        GluePartitionedEtlStack(app, "InvalidFlex")


def test_a_spark_job_needs_two_workers():
    with pytest.raises(ValueError, match="at least 2 workers"):
        GluePartitionedEtlProps(workers=1)


def test_context_switches_are_read_into_props():
    app = cdk.App(
        context={
            "flex": "true",
            "worker_type": "G.2X",
            "workers": "4",
            "glue_version": "4.0",
            "schedule": "cron(30 3 * * ? *)",
        }
    )
    props = GluePartitionedEtlProps.from_context(app)
    assert props.flex is True
    assert props.worker_type == glue.WorkerType.G_2X
    assert props.workers == 4
    assert props.glue_version == glue.GlueVersion.V4_0
    assert props.schedule == "cron(30 3 * * ? *)"
    assert GluePartitionedEtlProps.from_context(cdk.App()) == GluePartitionedEtlProps()
