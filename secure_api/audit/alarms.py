"""The metric filters and alarms on a trail's log group, one per event group, narrowed to the API
where the events allow it (see the ``secure_api.audit`` docstring)."""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_api import defaults
from secure_api.audit.events import (
    API_CHANGES,
    API_KEY_TAGGED,
    API_KEY_VALUE_READS,
    AUDIT_EVENT_GROUPS,
    WAF_ASSOCIATION_CHANGES,
    WEBSOCKET_API_CHANGES,
    WEBSOCKET_AUDIT_EVENT_GROUPS,
    AuditEventGroup,
)
from secure_api.audit.options import AuditTrail
from secure_api.audit.trail import build_trail


def apply_audit(
    scope: Construct,
    audit: AuditTrail,
    *,
    rest_api: apigw.RestApiBase | None = None,
    web_socket_api: apigwv2.WebSocketApi | None = None,
    topic: sns.ITopic,
    retention: logs.RetentionDays,
    shared_log_group: logs.ILogGroup | None = None,
) -> tuple[cloudtrail.Trail | None, logs.ILogGroup | None]:
    """Create (under ``scope``) the trail ``Trail`` with its key (``TrailKey``), buckets
    (``TrailBucket``, ``TrailAccessLogsBucket``) and log group (``TrailLogs``), then a metric filter
    and an alarm per event group (``Audit<Group>Filter``, ``Audit<Group>Alarm``) on its log group.
    For ``AuditTrail.existing(...)`` only the filters and alarms, and only with a log group; with
    ``shared_log_group`` (the log group of another API's trail in this stack), the alarms on it.
    Returns the trail (None for an existing or shared one) and the log group the alarms watch (None without).
    The alarms watch ``rest_api`` or ``web_socket_api`` (exactly one)."""
    if (rest_api is None) == (web_socket_api is None):
        raise TypeError("apply_audit watches rest_api or web_socket_api, exactly one")
    trail: cloudtrail.Trail | None = None
    log_group: logs.ILogGroup
    if shared_log_group is not None:
        log_group = shared_log_group
    elif audit.create_trail:
        trail, log_group = build_trail(scope, audit, retention=audit.log_retention or retention)
    elif audit.log_group_name is not None:
        log_group = logs.LogGroup.from_log_group_name(scope, "TrailLogGroup", audit.log_group_name)
    else:
        return None, None
    groups: tuple[AuditEventGroup, ...]
    if rest_api is not None:
        groups = AUDIT_EVENT_GROUPS
        narrowing = {
            API_CHANGES.id: ("restApiId", "RestApiId", rest_api.rest_api_id),
            WAF_ASSOCIATION_CHANGES.id: ("resourceArn", "ResourceArn", rest_api.deployment_stage.stage_arn),
        }
    else:
        assert web_socket_api is not None
        groups = WEBSOCKET_AUDIT_EVENT_GROUPS
        narrowing = {WEBSOCKET_API_CHANGES.id: ("apiId", "ApiId", web_socket_api.api_id)}
    action = cloudwatch_actions.SnsAction(topic)
    for group in groups:
        conditions = [
            f'($.eventSource = "{group.event_source}")',
            "(" + " || ".join(f'($.eventName = "{name}")' for name in group.event_names) + ")",
        ]
        if group is API_KEY_VALUE_READS:
            # GetApiKey takes includeValue, GetApiKeys includeValues: either may reveal key values.
            conditions.append(
                "("
                + " || ".join(
                    f'($.requestParameters.{flag} IS TRUE) || ($.requestParameters.{flag} = "true")'
                    for flag in ("includeValue", "includeValues")
                )
                + ")"
            )
        if group is API_KEY_TAGGED:
            # TagResource names the tagged resource's ARN (URL-encoded in the request path): API keys only.
            conditions.append(
                "("
                + " || ".join(
                    f'($.requestParameters.resourceArn = "{arn}")'
                    for arn in ("*/apikeys/*", "*%2Fapikeys%2F*")
                )
                + ")"
            )
        dimensions: dict[str, str] = {}
        dimensions_map: dict[str, str] = {}
        if group.id in narrowing:
            field, dimension, value = narrowing[group.id]
            conditions.append(f'($.requestParameters.{field} = "{value}")')
            dimensions[dimension] = f"$.requestParameters.{field}"
            dimensions_map[dimension] = value
        metric_filter = logs.MetricFilter(
            scope,
            f"Audit{group.id}Filter",
            log_group=log_group,
            filter_pattern=logs.FilterPattern.literal("{ " + " && ".join(conditions) + " }"),
            metric_namespace=defaults.AUDIT_METRIC_NAMESPACE,
            metric_name=group.id,
            metric_value="1",
            dimensions=dimensions or None,
        )
        alarm = cloudwatch.Alarm(
            scope,
            f"Audit{group.id}Alarm",
            alarm_description=f"secure_api {scope.node.path}: {group.description} "
            f"({', '.join(group.event_names)})",
            metric=metric_filter.metric(
                statistic="Sum",
                period=defaults.AUDIT_ALARM_PERIOD,
                dimensions_map=dimensions_map or None,
            ),
            threshold=defaults.AUDIT_ALARM_THRESHOLD,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
    return trail, log_group
