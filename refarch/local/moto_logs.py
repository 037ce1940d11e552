"""CloudWatch Logs ``AssociateKmsKey``, which moto 5.2.5 does not implement.

Glue, when a security configuration encrypts CloudWatch logs, associates the configuration's key
with the log groups it writes, as the job's or crawler's role (``sources.glue_logs``). moto has
no ``AssociateKmsKey``: its IAM check runs (on ``…:log-group:NAME``, ``moto_patches``) and then
the call raises ``NotImplementedError``. Here it answers as the API reference says
(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_AssociateKmsKey.html):
the key replaces any key associated with the group; a missing group is
``ResourceNotFoundException``; a key that does not exist or is disabled is
``InvalidParameterException``. Not checked: whether the key policy lets CloudWatch Logs use the
key (the stacks' key policies do, ``constructs.log_encryption``).

``moto_patches`` installs it on ``LogsResponse`` inside the emulator only.
"""

from __future__ import annotations

from moto.kms.exceptions import NotFoundException
from moto.kms.models import kms_backends
from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.responses import LogsResponse


def associate_kms_key(self: LogsResponse) -> str:
    """``AssociateKmsKey`` with ``logGroupName``: encrypt the group's new events with the key."""
    group_name = self._get_param("logGroupName")
    key_id = self._get_param("kmsKeyId")
    group = self.logs_backend.groups.get(group_name)
    if group is None:
        raise ResourceNotFoundException("The specified log group does not exist.")
    if not _key_enabled(self, key_id):
        raise InvalidParameterException(f"Specified KMS key {key_id} does not exist or is disabled")
    group.kms_key_id = key_id
    return ""


def _key_enabled(self: LogsResponse, key_id: str) -> bool:
    """Whether ``key_id`` (an ARN) names an enabled key of the account and region."""
    backend = kms_backends[self.current_account][self.region]
    try:
        key = backend.describe_key(key_id)
    except (NotFoundException, KeyError):
        return False
    return key.key_state == "Enabled"
