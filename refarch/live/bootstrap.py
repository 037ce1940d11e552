"""Is the account/region bootstrapped for the CDK? ``cdk deploy`` needs its staging resources.

``cdk bootstrap`` creates the ``CDKToolkit`` stack and records its version in the SSM parameter
``/cdk-bootstrap/hnb659fds/version`` (the default qualifier), which every deployment's template
checks (https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-env.html).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from refarch.live.account import Account

VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
TOOLKIT_STACK = "CDKToolkit"


def bootstrap_problem(account: Account, account_id: str) -> str | None:
    """Return why ``cdk deploy`` would fail for lack of bootstrapping, or None if it would not."""
    try:
        account.client("ssm").get_parameter(Name=VERSION_PARAMETER)
        return None
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("ParameterNotFound", "AccessDenied"):
            raise
    try:
        account.client("cloudformation").describe_stacks(StackName=TOOLKIT_STACK)
        return None
    except ClientError as error:
        if "does not exist" not in str(error):
            raise
    region = account.region
    return (
        f"account {account_id} is not bootstrapped in {region} (no SSM parameter "
        f"{VERSION_PARAMETER}, no {TOOLKIT_STACK} stack). Bootstrap it once with: "
        f"npx cdk bootstrap aws://{account_id}/{region}"
    )
