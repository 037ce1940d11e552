"""What can go wrong in the local runner, as exception types a caller (or a test) can catch."""


class LocalRunnerError(Exception):
    """Base class: the local runner could not do what deploy or AWS would have done."""


class NotInEmulatorError(LocalRunnerError):
    """A runner function was called outside ``refarch.local.emulator()``."""


class UnsupportedResourceTypeError(LocalRunnerError):
    """No provisioner covers a resource type of the template: deploy stops rather than skip it."""

    def __init__(self, resource_type: str, logical_id: str) -> None:
        super().__init__(
            f"{logical_id}: resource type {resource_type} is not supported by the local runner "
            "(add a provisioner in refarch/local/provisioners/)"
        )
        self.resource_type = resource_type
        self.logical_id = logical_id


class UnsupportedPropertyError(LocalRunnerError):
    """A provisioner met a property it does not apply: failing beats deploying something else."""

    def __init__(self, resource_type: str, logical_id: str, names: list[str]) -> None:
        super().__init__(
            f"{logical_id} ({resource_type}): the local runner does not apply "
            f"{', '.join(sorted(names))}"
        )
        self.resource_type = resource_type
        self.logical_id = logical_id
        self.names = names


class TemplateError(LocalRunnerError):
    """The template cannot be evaluated: an unknown intrinsic, a missing attribute, a cycle."""


class DeployError(LocalRunnerError):
    """A resource could not be created (its AWS call failed, or a custom resource said FAILED)."""


class NetworkBlockedError(LocalRunnerError, OSError):
    """Something tried to open a network connection inside the emulator."""


class RunHalted(BaseException):
    """The first IAM denial of a run started with ``halt_on_denial``: nothing after it is needed.

    A BaseException, like KeyboardInterrupt: handlers and the runner's services catch Exception to
    turn a denied request into an outcome (a rejection, a failed job run); this must reach
    ``run_demo`` instead, past them.
    """

    def __init__(self, denial: object) -> None:
        super().__init__(str(denial))
        self.denial = denial
