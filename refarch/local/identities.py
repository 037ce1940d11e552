"""Who signs each request in the emulator, and how moto's IAM enforcement is switched on.

How enforcement works in moto 5.2.5 (``moto/core/authorization.py``,
``moto/iam/access_control.py``):

- Every request counts against ``settings.INITIAL_NO_AUTH_ACTION_COUNT`` (default: infinite,
  i.e. never enforced). Once the count is reached, each request's SigV4 signature is recomputed
  and its access key must belong to an IAM user of moto's IAM backend (``AKIA…``) or to a session
  from ``sts:AssumeRole`` (``ASIA…`` plus the matching session token); the environment's fake
  ``testing`` keys are then rejected (InvalidClientTokenId).
- The caller's identity policies are evaluated: a user's inline, attached and group policies; an
  assumed-role session's role inline and attached policies (session policies are not). An
  explicit Deny wins, otherwise some Allow must match the action and resource. S3 object requests
  also see the bucket policy; other resource policies (queue, topic, Lambda) are not evaluated.
- ``moto.core.set_initial_no_auth_action_count(n)`` is the decorator form (the first n requests
  pass, then enforcement); ``moto.core.enable_iam_authentication()`` is the context-manager form
  with n = 0, used here; ``disable_iam_authentication()`` suspends it.

The runner therefore bootstraps one identity before enforcement starts: the deployer, an IAM user
with AdministratorAccess that publishes assets, creates the stack's resources and plays the
producer uploading data. Functions run under sessions of their own execution roles, obtained the
way the Lambda service obtains them (below).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID, disable_iam_authentication

from refarch.local.aws_managed_policies import ensure_aws_managed_policy
from refarch.local.errors import DeployError
from refarch.local.policy_conditions import resource_policy_allows

#: The IAM user that deploys and drives the stack (what `cdk deploy`'s credentials would be).
DEPLOYER_USER = "refarch-deployer"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def bootstrap_deployer(region: str) -> boto3.Session:
    """Create the deployer user and return a session signed with its access key.

    Call before enforcement starts: the environment's fake keys sign these three requests.
    """
    ensure_aws_managed_policy(
        ADMINISTRATOR_ACCESS, account_id=DEFAULT_ACCOUNT_ID, region=region, partition="aws"
    )
    with disable_iam_authentication():
        iam = boto3.client("iam", region_name=region)
        iam.create_user(UserName=DEPLOYER_USER)
        iam.attach_user_policy(UserName=DEPLOYER_USER, PolicyArn=ADMINISTRATOR_ACCESS)
        key = iam.create_access_key(UserName=DEPLOYER_USER)["AccessKey"]
    return ClientCachingSession(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name=region,
    )


class ClientCachingSession(boto3.Session):
    """A session that makes one default client per service and hands it out again.

    The runner acts as a service many times per run (each delivery, capture write or poll
    assumes a role and calls one API); a botocore client costs milliseconds to build, the call
    itself far less. Clients asked for with options (``endpoint_url``, ``config``…) are built
    each time, as with any session.
    """

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        if args or kwargs:
            return super().client(service_name, *args, **kwargs)
        clients: dict[str, Any] = self.__dict__.setdefault("_refarch_clients", {})
        if service_name not in clients:
            clients[service_name] = super().client(service_name)
        return clients[service_name]


def trusts_service(trust_policy: Any, service: str, context: dict[str, str]) -> bool:
    """Return True if a role's trust policy lets ``service`` (lambda.amazonaws.com…) assume it."""
    return resource_policy_allows(
        trust_policy, action="sts:AssumeRole", principal=service, context=context
    )


def assume_role_as_service(
    deployer: boto3.Session,
    role_arn: str,
    *,
    service: str,
    session_name: str,
    account_id: str,
    context: Mapping[str, str] | None = None,
) -> boto3.Session:
    """Return a session of ``role_arn`` as the AWS ``service`` gets it (Lambda: its execution role).

    The trust policy is checked here, as the service does (``lambda.amazonaws.com`` must be a
    trusted principal). moto cannot sign as a service principal, and its trust check crashes on a
    ``Service`` principal, so the AssumeRole call itself runs with enforcement suspended; every
    request made with the returned session is enforced against the role's policies.

    ``context`` adds the condition keys the service sends (Firehose: ``sts:ExternalId``, the
    account id, and ``aws:SourceArn``, the delivery stream) to ``aws:SourceAccount``.

    Raises:
        DeployError: The role does not exist or does not trust ``service``.
    """
    iam = deployer.client("iam")
    role = iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
    keys = {"aws:SourceAccount": account_id, **(context or {})}
    if not trusts_service(role["AssumeRolePolicyDocument"], service, keys):
        raise DeployError(f"The role {role_arn} cannot be assumed by {service}.")
    with disable_iam_authentication():
        credentials = deployer.client("sts").assume_role(
            RoleArn=role_arn, RoleSessionName=session_name[:64]
        )["Credentials"]
    return session_from(credentials, deployer.region_name)


def session_from(credentials: dict[str, Any], region: str) -> boto3.Session:
    """A boto3 session signing with the ``Credentials`` an ``sts:AssumeRole`` call returned."""
    return ClientCachingSession(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
