"""What the key functions may do to this API's keys (by tag), usage plans and key secrets, and the
acknowledgements their policies need. Creating and tagging (the key creator) is one role; reading,
changing and deleting (the rotation and provisioner functions) another: no role may both put this API's
tag on an existing key and then change or delete it."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from secure_api.keys.model import TAG_API, TAG_CONSUMER

KEY_POLICY_ACKNOWLEDGEMENTS = (
    "key-functions-read-keys",
    "key-functions-plan-keys",
    "key-functions-secrets",
)
KEY_CREATOR_ACKNOWLEDGEMENTS = ("key-functions-read-keys", "key-functions-tag-new-keys")


def _gw(stack: Stack, path: str) -> str:
    return f"arn:{stack.partition}:apigateway:{stack.region}::{path}"


def _read_this_apis_keys(stack: Stack, rest_api_id: str) -> iam.PolicyStatement:
    # GetApiKey names the key: IAM conditions it on the key's tags. GetApiKeys (GET /apikeys) lists every
    # key of the account and Region, values included with includeValues, and has no tags to condition
    # on: no role of the library gets it; the functions find their keys through their own usage plans.
    return iam.PolicyStatement(
        sid="ReadThisApisKeys",
        actions=["apigateway:GET"],
        resources=[_gw(stack, "/apikeys/*")],
        conditions={"StringEquals": {f"aws:ResourceTag/{TAG_API}": rest_api_id}},
    )


def creator_statements(
    stack: Stack, rest_api_id: str, plans: Mapping[str, apigw.UsagePlan]
) -> list[iam.PolicyStatement]:
    """What the key creator may do: create this API's keys tagged at creation, attach keys to this API's
    plans, and read this API's keys (to check a key's tags before attaching it). Nothing else: it may
    not change or delete a key, nor read any other key.

    API Gateway authorizes ``CreateApiKey`` with tags as ``POST /apikeys`` (``aws:RequestTag``,
    ``aws:TagKeys``) plus ``PUT`` on the new key's URL-encoded tags ARN (``aws:RequestTag``,
    ``aws:TagKeys``; no ``aws:ResourceTag``), the same action and resource as ``TagResource`` on an
    existing key (IAM Service Authorization Reference, API Gateway Management): this role alone holds it.
    """
    new_key_tags = {
        "StringEquals": {f"aws:RequestTag/{TAG_API}": rest_api_id},
        "ForAllValues:StringEquals": {"aws:TagKeys": [TAG_API, TAG_CONSUMER]},
    }
    # IAM matches the tags resource on the tagged resource's ARN, URL-encoded.
    key_tags_arn = _gw(
        stack, f"/tags/arn%3A{stack.partition}%3Aapigateway%3A{stack.region}%3A%3A%2Fapikeys%2F*"
    )
    return [
        iam.PolicyStatement(
            sid="CreateThisApisKeys",
            actions=["apigateway:POST"],
            resources=[_gw(stack, "/apikeys")],
            conditions=new_key_tags,
        ),
        iam.PolicyStatement(
            sid="TagThisApisNewKeys",
            actions=["apigateway:PUT"],
            resources=[key_tags_arn],
            conditions=new_key_tags,
        ),
        iam.PolicyStatement(
            sid="AttachToThisApisPlans",
            actions=["apigateway:POST"],
            resources=[_gw(stack, f"/usageplans/{p.usage_plan_id}/keys") for p in plans.values()],
        ),
        _read_this_apis_keys(stack, rest_api_id),
    ]


def key_statements(
    stack: Stack,
    rest_api_id: str,
    secrets_arn: str,
    keys_key: kms.IKey,
    plans: Mapping[str, apigw.UsagePlan],
    *,
    key_creator_arn: str,
    provisioner: bool = False,
) -> list[iam.PolicyStatement]:
    """What the key functions (rotation and provisioner) may do: read and change this API's keys (by
    tag), list and detach this API's plans' keys, have the key creator (``key_creator_arn``) create and
    attach keys, and use this API's secrets. They may not tag a key: with that, they could tag another
    API's key as this API's and then change or delete it.

    ``UpdateApiKey`` and ``DeleteApiKey`` are ``PATCH``/``DELETE`` on ``/apikeys/<id>``
    (``aws:ResourceTag``); ``GetUsagePlanKeys`` is ``GET /usageplans/<id>/keys`` and detaching
    ``DELETE /usageplans/<id>/keys/<keyId>`` (IAM Service Authorization Reference, API Gateway Management).
    """
    plan_paths = [_gw(stack, f"/usageplans/{p.usage_plan_id}") for p in plans.values()]
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
        _read_this_apis_keys(stack, rest_api_id),
        iam.PolicyStatement(
            # GetUsagePlans (which plans serve this API, which plans hold a key): plans, never key values.
            sid="ListPlans",
            actions=["apigateway:GET"],
            resources=[_gw(stack, "/usageplans")],
        ),
        iam.PolicyStatement(
            sid="ListThisApisPlansKeys",
            actions=["apigateway:GET"],
            resources=[f"{p}/keys" for p in plan_paths],
        ),
        iam.PolicyStatement(
            sid="ChangeThisApisKeys",
            actions=["apigateway:PATCH", "apigateway:DELETE"],
            resources=[_gw(stack, "/apikeys/*")],
            conditions={"StringEquals": {f"aws:ResourceTag/{TAG_API}": rest_api_id}},
        ),
        iam.PolicyStatement(
            sid="DetachFromThisApisPlans",
            actions=["apigateway:DELETE"],
            resources=[f"{p}/keys/*" for p in plan_paths],
        ),
        iam.PolicyStatement(
            sid="CreateKeysThroughTheCreator", actions=["lambda:InvokeFunction"], resources=[key_creator_arn]
        ),
        iam.PolicyStatement(sid="ThisApisKeySecrets", actions=secret_actions, resources=[secrets_arn]),
        iam.PolicyStatement(
            sid="KeySecretsKey",
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            resources=[keys_key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"}},
        ),
    ]
