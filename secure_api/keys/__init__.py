"""API key lifecycle: the operations behind ``secure-api keys ...`` and the key Lambdas.

Importable without ``aws_cdk`` (it is bundled into Lambdas): only boto3/botocore and the standard library.
"""

from __future__ import annotations

from secure_api.keys.errors import KeyOpsError
from secure_api.keys.model import TAG_API, TAG_CONSUMER, TAG_TIER, KeyRecord, secret_name

__all__ = ["TAG_API", "TAG_CONSUMER", "TAG_TIER", "KeyOpsError", "KeyRecord", "secret_name"]
