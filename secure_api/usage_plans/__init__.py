"""Usage tiers (usage plans), per-consumer API keys provisioned at deploy time, rotation and expiry.

Key values never appear in a template: one custom resource (``KeyProvisioner``) creates every
consumer's key inside a Lambda function and stores the value in Secrets Manager at
``secure-api/<restApiId>/<consumer>`` under a customer-managed KMS key, in slices that CDK's provider
framework polls (``isComplete``) so that any number of consumers fits CloudFormation's hour rather than
one Lambda invocation (``secure_api.keys.provision``). The rotation function
implements the Secrets Manager rotation protocol and, hourly, expires previous keys whose grace
period has passed. Both run the operations of ``secure_api.keys``, the same code as the
``secure-api keys`` command.
"""

from __future__ import annotations

from secure_api.usage_plans.construct import UsageTiers
from secure_api.usage_plans.options import (
    Consumer,
    KeyRotation,
    Quota,
    UsageTier,
    check_tiers_and_consumers,
    tier_throttles,
)
from secure_api.usage_plans.provisioning import consumers_property

__all__ = [
    "Consumer",
    "KeyRotation",
    "Quota",
    "UsageTier",
    "UsageTiers",
    "check_tiers_and_consumers",
    "consumers_property",
    "tier_throttles",
]
