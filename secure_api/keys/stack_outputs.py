"""Names of the CloudFormation outputs and tags that ``SecureRestApi`` writes and the command reads back.

Importable without ``aws_cdk``: the construct writes these names, ``secure-api ... --stack NAME`` and
``secure-api verify`` read them. Every output key of one API is ``<prefix><name>``, where ``<prefix>``
is the API construct's path inside its stack with everything but letters and digits removed (the
example's ``SecureApiExample/OrdersApi`` gives ``OrdersApi``), so several APIs in one stack never share
a key and a user can read them without knowing CDK's logical-id hashes.
"""

from __future__ import annotations

import re

REST_API_ID = "RestApiId"
"""Output: the REST API id (``restApiId``)."""
URL = "Url"
"""Output: the URL users call: the custom domain's when one is set, else the stage's execute-api URL."""
STAGE_NAME = "StageName"
"""Output: the deployed stage's name."""
KEY_SECRETS_PREFIX = "KeySecretsPrefix"
"""Output (with usage tiers): the Secrets Manager name prefix of the consumers' key secrets."""
KEYS_KMS_KEY_ARN = "KeysKmsKeyArn"
"""Output (with usage tiers): the ARN of the customer-managed KMS key that encrypts the key secrets."""

KEYS_KMS_KEY_TAG = "secure-api:keys-kms-key"
"""Tag on the REST API (with usage tiers): the key secrets' KMS key ARN, so ``--api-id`` alone finds it."""


def output_prefix(path_in_stack: str) -> str:
    """The output-key prefix of the API construct at ``path_in_stack`` (``"OrdersApi"``)."""
    return re.sub(r"[^A-Za-z0-9]", "", path_in_stack)


def output_key(prefix: str, name: str) -> str:
    """The output key of output ``name`` (one of this module's constants) of the API with ``prefix``."""
    return f"{prefix}{name}"
