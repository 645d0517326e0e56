"""The metric filters and alarms on a trail's log group, one per event group, narrowed to the API
where the events allow it (see the ``secure_api.audit`` docstring)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_api import defaults
from secure_api.audit.events import API_KEY_TAGGED, API_KEY_VALUE_READS
from secure_api.audit.options import AuditTrail
from secure_api.audit.trail import build_trail

if TYPE_CHECKING:
    from secure_api.api_target import ApiTarget


def apply_audit(
    scope: Construct,
    audit: AuditTrail,
    *,
    target: ApiTarget | None = None,
    rest_api: apigw.RestApiBase | None = None,
    web_socket_api: apigwv2.WebSocketApi | None = None,
    topic: sns.ITopic,
    retention: logs.RetentionDays,
    shared_log_group: logs.ILogGroup | None = None,
) -> tuple[cloudtrail.Trail | None, logs.ILogGroup | None]:
    """Create (under ``scope``) the trail ``Trail`` with its key (``TrailKey``), buckets
    (``TrailBucket``, ``TrailAccessLogsBucket``) and log group (``TrailLogs``), then a metric filter
    and an alarm per event group of ``target`` (``Audit<Group>Filter``, ``Audit<Group>Alarm``) on its
    log group, narrowed to the API where ``target.audit_narrowing`` says how.
    For ``AuditTrail.existing(...)`` only the filters and alarms, and only with a log group; with
    ``shared_log_group`` (the log group of another API's trail in this stack), the alarms on it.
    Returns the trail (None for an existing or shared one) and the log group the alarms watch (None without).
    ``rest_api`` (with its deployment stage) or ``web_socket_api`` is the older spelling of ``target``."""
    target = _target(target, rest_api, web_socket_api)
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
    narrowing = target.audit_narrowing
    action = cloudwatch_actions.SnsAction(topic)
    for group in target.audit_event_groups:
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


def _target(
    target: ApiTarget | None,
    rest_api: apigw.RestApiBase | None,
    web_socket_api: apigwv2.WebSocketApi | None,
) -> ApiTarget:
    """``target``, or the target of the older ``rest_api``/``web_socket_api`` keywords (exactly one)."""
    from secure_api.api_target import ApiTarget

    given = [x for x in (target, rest_api, web_socket_api) if x is not None]
    if len(given) != 1:
        raise TypeError("apply_audit watches one API: target, rest_api or web_socket_api")
    if rest_api is not None:
        return ApiTarget.rest(rest_api, rest_api.deployment_stage)
    if web_socket_api is not None:
        scope = web_socket_api.node.scope
        assert scope is not None
        stages = [
            c
            for c in scope.node.children
            if isinstance(c, apigwv2.WebSocketStage) and c.api is web_socket_api
        ]
        if not stages:
            raise TypeError(
                "apply_audit(web_socket_api=...) finds no stage of that API beside it: pass target"
            )
        return ApiTarget.websocket(web_socket_api, stages[0])
    assert target is not None
    return target
