"""KMS keys without a key pair each: moto makes an RSA-2048 pair for every key it creates.

moto 5.2.5 generates a private key in ``Key.__init__`` whatever the key spec, ~75 ms of CPU per
key, and a local deploy creates several. A symmetric key never uses one: AWS refuses ``Sign``,
``Verify`` and ``GetPublicKey`` on symmetric keys
(https://docs.aws.amazon.com/kms/latest/developerguide/symmetric-asymmetric.html), and moto
encrypts with the key's own material. So a symmetric key gets one pair shared by the process,
made on first use; an asymmetric key still gets a pair of its own. Nothing a caller can observe
through an API AWS allows on the key changes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.kms import models as kms_models
from moto.kms.utils import generate_private_key as moto_generate_private_key

_SYMMETRIC = "SYMMETRIC_DEFAULT"


@functools.cache
def _shared_pair() -> Any:
    return moto_generate_private_key(_SYMMETRIC)


@contextmanager
def symmetric_keys_share_one_key_pair() -> Iterator[None]:
    """Inside the block, moto's symmetric KMS keys share one (never used) private key."""

    def generate_private_key(key_spec: str) -> Any:
        return _shared_pair() if key_spec == _SYMMETRIC else moto_generate_private_key(key_spec)

    with mock.patch.object(kms_models, "generate_private_key", generate_private_key):
        yield
