"""Build ``staged-model-promotion``: one stack by default, three across accounts.

The catalog names this function for the pattern. Without account context it builds
``StagedModelPromotionStack`` (staging and production endpoints in the deploying account).
With ``-c staging_account=... -c prod_account=...`` it builds the orchestration stack under the
pattern's stack name, plus ``<name>Staging`` and ``<name>Production`` for those accounts
(``staged_model_promotion_accounts``).
"""

from __future__ import annotations

from aws_cdk import Stack, Tags
from constructs import Construct

from refarch.stacks.approved_model_endpoint_props import default_endpoint_name
from refarch.stacks.staged_model_promotion import STAGING_SUFFIX, StagedModelPromotionStack
from refarch.stacks.staged_model_promotion_accounts import (
    STAGES,
    PromotionAccounts,
    PromotionNames,
)
from refarch.stacks.staged_model_promotion_orchestration import (
    PromotionOrchestrationProps,
    PromotionOrchestrationStack,
)
from refarch.stacks.staged_model_promotion_props import (
    MAX_ENDPOINT_NAME_LENGTH,
    StagedModelPromotionProps,
)
from refarch.stacks.staged_model_promotion_target import PromotionTargetProps, PromotionTargetStack

PATTERN_ID = "staged-model-promotion"


def build_staged_model_promotion(scope: Construct, construct_id: str, **kwargs) -> Stack:
    """The pattern's stack (returned) and, across accounts, its two target stacks beside it."""
    accounts = PromotionAccounts.from_context(scope)
    if accounts is None:
        return StagedModelPromotionStack(scope, construct_id, **kwargs)
    staged = StagedModelPromotionProps.from_context(scope)
    names = PromotionNames(construct_id, accounts)
    production_endpoint = staged.production.endpoint_name or default_endpoint_name(construct_id)
    staging_endpoint = staged.staging_endpoint_name or (
        production_endpoint[: MAX_ENDPOINT_NAME_LENGTH - len(STAGING_SUFFIX)] + STAGING_SUFFIX
    )
    orchestration = PromotionOrchestrationStack(
        scope,
        construct_id,
        props=PromotionOrchestrationProps(
            staged=staged,
            names=names,
            staging_endpoint_name=staging_endpoint,
            production_endpoint_name=production_endpoint,
        ),
        **kwargs,
    )
    for stage, endpoint in zip(STAGES, (staging_endpoint, production_endpoint), strict=True):
        target = PromotionTargetStack(
            scope,
            f"{construct_id}{stage.title()}",
            target=PromotionTargetProps(
                stage=stage, names=names, staged=staged, endpoint_name=endpoint
            ),
            description=f"The {stage} endpoint of {construct_id}, deployed by its promotions",
        )
        Tags.of(target).add("refarch:pattern", PATTERN_ID)
    return orchestration
