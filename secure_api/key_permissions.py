"""What the key functions (rotation and provisioner) may do: this API's keys (by tag), this API's
usage plans and this API's key secrets, and the acknowledgements their policies need."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from secure_api.keys.model import TAG_API, TAG_CONSUMER

KEY_POLICY_ACKNOWLEDGEMENTS = (
    "key-functions-read-keys",
    "key-functions-tag-new-keys",
    "key-functions-plan-keys",
    "key-functions-secrets",
)


def key_statements(
    stack: Stack,
    rest_api_id: str,
    secrets_arn: str,
    keys_key: kms.IKey,
    plans: Mapping[str, apigw.UsagePlan],
    *,
    provisioner: bool = False,
) -> list[iam.PolicyStatement]:
    """What the key functions may do: this API's keys (by tag), this API's plans, this API's secrets.

    API Gateway authorizes ``CreateApiKey`` with tags as ``POST /apikeys`` (``aws:RequestTag``,
    ``aws:TagKeys``) plus ``PUT`` on the new key's URL-encoded tags ARN (``aws:RequestTag``,
    ``aws:TagKeys``; no ``aws:ResourceTag``); ``UpdateApiKey`` and ``DeleteApiKey`` as ``PATCH``/``DELETE``
    on ``/apikeys/<id>`` (``aws:ResourceTag``); usage plan keys as ``POST /usageplans/<id>/keys`` and
    ``DELETE /usageplans/<id>/keys/<keyId>`` (IAM Service Authorization Reference, API Gateway Management).
    """

    def gw(path: str) -> str:
        return f"arn:{stack.partition}:apigateway:{stack.region}::{path}"

    plan_paths = [gw(f"/usageplans/{p.usage_plan_id}") for p in plans.values()]
    new_key_tags = {
        "StringEquals": {f"aws:RequestTag/{TAG_API}": rest_api_id},
        "ForAllValues:StringEquals": {"aws:TagKeys": [TAG_API, TAG_CONSUMER]},
    }
    # IAM matches the tags resource on the tagged resource's ARN, URL-encoded.
    key_tags_arn = gw(f"/tags/arn%3A{stack.partition}%3Aapigateway%3A{stack.region}%3A%3A%2Fapikeys%2F*")
    secret_actions = [
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
    ]
    if provisioner:
        secret_actions += [
            "secretsmanager:CreateSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:RestoreSecret",
            "secretsmanager:TagResource",
            "secretsmanager:RotateSecret",
            "secretsmanager:CancelRotateSecret",
        ]
    return [
        iam.PolicyStatement(
            sid="ReadKeysAndPlans",
            actions=["apigateway:GET"],
            resources=[gw("/apikeys"), gw("/apikeys/*"), gw("/usageplans")],
        ),
        iam.PolicyStatement(
            sid="CreateThisApisKeys",
            actions=["apigateway:POST"],
            resources=[gw("/apikeys")],
            conditions=new_key_tags,
        ),
        iam.PolicyStatement(
            sid="TagThisApisNewKeys",
            actions=["apigateway:PUT"],
            resources=[key_tags_arn],
            conditions=new_key_tags,
        ),
        iam.PolicyStatement(
            sid="ChangeThisApisKeys",
            actions=["apigateway:PATCH", "apigateway:DELETE"],
            resources=[gw("/apikeys/*")],
            conditions={"StringEquals": {f"aws:ResourceTag/{TAG_API}": rest_api_id}},
        ),
        iam.PolicyStatement(
            sid="AttachToThisApisPlans",
            actions=["apigateway:POST"],
            resources=[f"{p}/keys" for p in plan_paths],
        ),
        iam.PolicyStatement(
            sid="DetachFromThisApisPlans",
            actions=["apigateway:DELETE"],
            resources=[f"{p}/keys/*" for p in plan_paths],
        ),
        iam.PolicyStatement(sid="ThisApisKeySecrets", actions=secret_actions, resources=[secrets_arn]),
        iam.PolicyStatement(
            sid="KeySecretsKey",
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            resources=[keys_key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"}},
        ),
    ]
