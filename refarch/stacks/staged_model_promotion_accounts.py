"""The accounts of the cross-account staged promotion, and the names both sides agree on.

``-c staging_account=111111111111 -c prod_account=222222222222`` splits the pattern into three
stacks: the orchestration stack in the account that deploys (the registry, the artifacts, the
image repository, the test data, the state machine) and one stack per target account (its
endpoint, execution role, key, alarms, deployer and the role the state machine assumes there).

No stack may reference another's tokens across accounts, so what one side grants the other is
named here, literally: the roles, functions, buckets, repository and model package group. The
orchestration account is ``-c orchestration_account=...`` or, as the CDK CLI sets it, the
account of the credentials that synthesize (``CDK_DEFAULT_ACCOUNT``). All stacks deploy to the
same region: a model package is deployed from the region it is registered in.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from constructs import Construct

from refarch.constructs.model_package_group import kebab_case

CONTEXT_STAGING_ACCOUNT = "staging_account"
CONTEXT_PROD_ACCOUNT = "prod_account"
CONTEXT_ORCHESTRATION_ACCOUNT = "orchestration_account"

#: An AWS account id: 12 digits (https://docs.aws.amazon.com/accounts/latest/reference/
#: manage-acct-identifiers.html).
ACCOUNT_ID = re.compile(r"[0-9]{12}")

STAGES = ("staging", "production")


class PromotionAccountsError(ValueError):
    """The accounts given on the command line cannot make a cross-account promotion."""


@dataclass(frozen=True)
class PromotionAccounts:
    """Which account holds what: orchestration (registry, workflow), staging, production."""

    orchestration: str
    staging: str
    production: str

    def __post_init__(self) -> None:
        for what, value in (
            (CONTEXT_ORCHESTRATION_ACCOUNT, self.orchestration),
            (CONTEXT_STAGING_ACCOUNT, self.staging),
            (CONTEXT_PROD_ACCOUNT, self.production),
        ):
            # fullmatch and [0-9]: "$" would accept a trailing newline, and "\d" other scripts'
            # digits, neither of which IAM would take in an ARN.
            if not (isinstance(value, str) and ACCOUNT_ID.fullmatch(value)):
                raise PromotionAccountsError(
                    f"{what} must be a 12-digit AWS account id, got {value!r}"
                )
        # Distinct accounts are the point of the split: staging equal to production would put
        # the untested version next to live traffic; one equal to the orchestration account
        # would make its trust and resource policies grant that account to itself. The default
        # single-account synthesis is the one-account layout.
        if len({self.orchestration, self.staging, self.production}) != 3:
            raise PromotionAccountsError(
                f"orchestration ({self.orchestration}), {CONTEXT_STAGING_ACCOUNT} "
                f"({self.staging}) and {CONTEXT_PROD_ACCOUNT} ({self.production}) must be three "
                "different accounts; for one account, leave staging_account and prod_account out"
            )

    def of(self, stage: str) -> str:
        """The account of ``stage`` (``staging`` or ``production``)."""
        return self.staging if stage == "staging" else self.production

    @classmethod
    def from_context(cls, scope: Construct) -> PromotionAccounts | None:
        """The accounts of ``-c staging_account=... -c prod_account=...``, None when neither."""
        node = scope.node
        staging = node.try_get_context(CONTEXT_STAGING_ACCOUNT)
        production = node.try_get_context(CONTEXT_PROD_ACCOUNT)
        if staging is None and production is None:
            return None
        if staging is None or production is None:
            raise PromotionAccountsError(
                f"give both {CONTEXT_STAGING_ACCOUNT} and {CONTEXT_PROD_ACCOUNT} (or neither, "
                "for the single-account layout)"
            )
        orchestration = node.try_get_context(CONTEXT_ORCHESTRATION_ACCOUNT) or os.environ.get(
            "CDK_DEFAULT_ACCOUNT"
        )
        if not orchestration:
            raise PromotionAccountsError(
                f"the orchestration account is unknown: give -c {CONTEXT_ORCHESTRATION_ACCOUNT}="
                "<12 digits>, or synthesize with credentials of that account"
            )
        return cls(
            orchestration=str(orchestration), staging=str(staging), production=str(production)
        )


@dataclass(frozen=True)
class PromotionNames:
    """The physical names the orchestration and target stacks both spell out.

    Named rather than generated: a trust or resource policy in one account can only name a
    resource of another literally. Names of retained resources (buckets, repository, group)
    are reused by the next deployment after a ``cdk destroy`` that kept them: delete them
    first, or deploy with ``-c destroy=true`` (the guide's tear-down).
    """

    stack_name: str
    accounts: PromotionAccounts

    @property
    def _prefix(self) -> str:
        return kebab_case(self.stack_name)[:30].rstrip("-")

    @property
    def group_name(self) -> str:
        """The model package group (in the orchestration account)."""
        return f"{self._prefix}-models"

    @property
    def artifacts_bucket(self) -> str:
        """Model archives under ``models/``: a global name, so with the account id."""
        return f"{self._prefix}-artifacts-{self.accounts.orchestration}"

    @property
    def gate_bucket(self) -> str:
        """The labelled test set, the gate's reports, the promotion records."""
        return f"{self._prefix}-gate-{self.accounts.orchestration}"

    @property
    def image_repository(self) -> str:
        """The inference images' ECR repository (in the orchestration account)."""
        return f"{self._prefix}-inference"

    @property
    def state_machine_role(self) -> str:
        """The state machine's execution role: the one principal the target roles trust."""
        return f"{self._prefix}-promotion"

    def task_role(self, stage: str) -> str:
        """The role the state machine assumes in ``stage``'s account for its tasks there."""
        return f"{self._prefix}-{stage}-tasks"

    def deployer_function(self, stage: str) -> str:
        """The deployer Lambda of ``stage`` (invoked by the state machine's task role)."""
        return f"{self._prefix}-{stage}-deployer"

    @property
    def gate_function(self) -> str:
        """The test gate Lambda (in the staging account)."""
        return f"{self._prefix}-staging-gate"

    def execution_role(self, stage: str) -> str:
        """The SageMaker execution role of ``stage``'s endpoint (reads artifacts and images)."""
        return f"{self._prefix}-{stage}-endpoint"

    def deployer_role(self, stage: str) -> str:
        """The deployer's role (describes the versions, creates models from them)."""
        return f"{self._prefix}-{stage}-deployer"

    @property
    def gate_role(self) -> str:
        """The gate's role: reads the test set, writes reports in the orchestration bucket."""
        return f"{self._prefix}-staging-gate"

    def role_arn(self, account: str, name: str, partition: str) -> str:
        """A role's ARN, spelled out (an ARN of another account's stack cannot be a token)."""
        return f"arn:{partition}:iam::{account}:role/{name}"
