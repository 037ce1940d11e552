"""The local runner: each pattern's synthesized stack, deployed and driven on moto, IAM enforced.

Public API::

    from refarch import local

    result = local.run_demo("s3-event-processing")        # what `refarch demo <id>` calls
    assert result.ok

    with local.emulator() as aws:                          # a local AWS, offline
        stack = local.deploy("s3-event-processing")        # synthesize, publish assets, create
        source = stack.s3_source("InputBucket")
        source.put_object("incoming/a.csv", b"order_id,...")

    with local.emulator() as aws:
        stack = local.deploy("stream-to-lake")
        stack.kinesis_producer("ClickstreamStream").put_records([("user-1", b'{"event_id":…}')])
        report = stack.firehose("FirehoseDeliveryStream").drain()   # read, transform, deliver
        assert report.balanced                             # in = delivered + dropped + failed

    with local.emulator() as aws:
        stack = local.deploy("approved-model-endpoint")
        version = aws.sagemaker.register(group, image=image, model_data_url=url, description="v1")
        aws.sagemaker.review(version.arn, "Approved", "ok")   # the rule → the deployer, as its role
        aws.sagemaker.complete_deployments()               # fleet up as the execution role
"""

from refarch.local.assembly import CloudAssembly, synthesize
from refarch.local.demo import DemoResult, run_demo
from refarch.local.deployer import TemplateHook, deploy
from refarch.local.emulator import Emulator, current_emulator, emulator
from refarch.local.errors import (
    DeployError,
    LocalRunnerError,
    TemplateError,
    UnsupportedPropertyError,
    UnsupportedResourceTypeError,
)
from refarch.local.stack import LocalStack
from refarch.local.stack_resources import LocalResource

__all__ = [
    "CloudAssembly",
    "DemoResult",
    "DeployError",
    "Emulator",
    "LocalResource",
    "LocalRunnerError",
    "LocalStack",
    "TemplateError",
    "TemplateHook",
    "UnsupportedPropertyError",
    "UnsupportedResourceTypeError",
    "current_emulator",
    "deploy",
    "emulator",
    "run_demo",
    "synthesize",
]
