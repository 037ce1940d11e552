"""A SageMaker Model Registry model package group, kept with its versions on stack deletion."""

import re
from dataclasses import dataclass

from aws_cdk import Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from refarch.constructs.removal import stateful_removal

#: A SageMaker name: letters, digits and single hyphens, at most 63 characters (AWS API
#: reference, ``ModelPackageGroupName``, ``EndpointName``).
SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")

#: The hex digits of the stack id a per-creation name ends with (see ``creation_unique_name``).
_UNIQUE_SUFFIX_LENGTH = 8


def kebab_case(name: str) -> str:
    """``ApprovedModelEndpoint`` → ``approved-model-endpoint``: a stack name as a SageMaker name.

    SageMaker writes names in lowercase in the ARNs it authorizes against (the AWS sample
    endpoint event names ``MyEndpoint`` and carries ``endpoint/myendpoint``), so names that
    IAM policies spell out are kept lowercase from the start.
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name)
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", spaced.lower())).strip("-")


def check_sagemaker_name(name: str, what: str, *, max_length: int = 63) -> str:
    """Return ``name`` if SageMaker accepts it and it is lowercase; raise ``ValueError`` if not.

    Lowercase is required here, not by SageMaker: its ARNs spell names in lowercase, and the
    IAM policies, alarms and event patterns of a stack must all name the same thing.
    """
    if not SAGEMAKER_NAME.match(name) or len(name) > max_length:
        raise ValueError(
            f"{what} must be 1 to {max_length} letters, digits and hyphens, starting and ending "
            f"with a letter or digit (SageMaker naming rules), got {name!r}"
        )
    if name != name.lower():
        raise ValueError(
            f"{what} must be lowercase: SageMaker lowercases names in ARNs, and the IAM "
            f"policies of this stack name it exactly; got {name!r}"
        )
    return name


def creation_unique_name(scope: Construct, label: str) -> str:
    """``<stack-in-kebab-case>-<label>-<8 hex digits>``: new for every creation of the stack.

    The lowercase counterpart of ``removal.deployment_unique_name``: a retained resource with a
    fixed name would make the next deploy fail with "already exists", so the name ends with
    the first block of the CloudFormation stack id (lowercase hex), which differs on every
    creation and stays the same on updates.
    """
    stack = Stack.of(scope)
    prefix = f"{kebab_case(stack.stack_name)}-{label}"
    longest = 63 - 1 - _UNIQUE_SUFFIX_LENGTH
    if len(prefix) > longest:
        raise ValueError(
            f"{prefix!r} leaves no room for the 9-character unique suffix within SageMaker's "
            f"63 characters: give the name explicitly"
        )
    stack_uuid = Fn.select(2, Fn.split("/", stack.stack_id))
    return Fn.join("-", [prefix, Fn.select(0, Fn.split("-", stack_uuid))])


@dataclass(frozen=True)
class ModelPackageGroupProps:
    """What a pattern says about its model package group."""

    description: str
    """Shown in SageMaker Studio's Model Registry: what the group's models solve."""

    name: str | None = None
    """The group's name (lowercase letters, digits, hyphens; at most 63 characters).

    @default - ``<stack-in-kebab-case>-models-<8 hex digits>``, new for every creation of the
    stack, so a group kept after ``cdk destroy`` never blocks the next deploy
    """

    policy: iam.PolicyDocument | None = None
    """The group's resource policy (``ModelPackageGroupPolicy``): who in other accounts may
    read its versions and deploy them
    (https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-ram.html).

    @default - none: only this account's identities, by their own policies
    """

    def __post_init__(self) -> None:
        if self.name is not None:
            check_sagemaker_name(self.name, "the model package group name")


class ModelPackageGroup(Construct):
    """A model package group: the versions of one model, each with its approval status.

    Each model package in a Model Group is one version of the model, numbered 1, 2, 3, ... as
    it is registered (https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-models.html);
    a reviewer then sets its approval status. CloudFormation's
    ``AWS::SageMaker::ModelPackageGroup`` has no CDK L2, so this wraps the L1 with typed props.

    The group and its versions (the model registry's history: which artifacts and image were
    approved, when, by whom) are kept on stack deletion unless ``-c destroy=true``. With
    ``destroy``, delete the versions first: ``DeleteModelPackageGroup`` can answer
    ``ConflictException`` (AWS API reference), and the stack deletion would then stop there.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: ModelPackageGroupProps,
    ) -> None:
        super().__init__(scope, construct_id)
        name = props.name if props.name is not None else creation_unique_name(self, "models")
        self.group = sagemaker.CfnModelPackageGroup(
            self,
            "Group",
            model_package_group_name=name,
            model_package_group_description=props.description,
            model_package_group_policy=props.policy,
        )
        self.group.apply_removal_policy(stateful_removal(self).policy)

    @property
    def group_name(self) -> str:
        """The group's name, as producers pass it to ``create_model_package``.

        The name itself (a literal, or the join that builds it), not ``Ref``: the resource's
        ``Ref`` is its ARN (CloudFormation reference).
        """
        return self.group.model_package_group_name

    @property
    def group_arn(self) -> str:
        """The group's ARN."""
        return self.group.attr_model_package_group_arn

    @property
    def versions_arn(self) -> str:
        """The ARN pattern of the group's versions: ``model-package/<group>/*``.

        A version's ARN is ``model-package/<group>/<version>`` (AWS sample "SageMaker Model
        Package State Change" event); IAM statements on the versions name this pattern.
        """
        return Stack.of(self).format_arn(
            service="sagemaker", resource="model-package", resource_name=f"{self.group_name}/*"
        )
