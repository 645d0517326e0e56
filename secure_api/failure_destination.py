"""Where a scheduled function's failed runs go: the API's alarm topic, as Lambda's on-failure destination."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns

from secure_api import defaults
from secure_api.lambda_function import SecureFunction
from secure_api.notifications import publish_statements


def failure_destination(
    function: SecureFunction, topic: sns.ITopic, *, max_event_age: Duration, grant: bool = True
) -> lambda_.CfnEventInvokeConfig:
    """Send an asynchronous run of ``function`` that fails every attempt (or waits longer than
    ``max_event_age`` in Lambda's queue) to ``topic``, and let the function's role publish there.

    Lambda publishes the destination record with the function's execution role: its managed policy
    gets ``sns:Publish`` on the topic and, for a topic encrypted with a key the library knows, that
    key through SNS (the key policy's account statement lets IAM decide). CDK's own grant would be
    dropped (the role takes no policy updates), so it is written here; ``grant=False`` when the role
    may already publish there (the key guard notifies the same topic).
    """
    stack = Stack.of(function)
    # Named by its ARN, as the schedule's Lambda permission names it: AWS's serverless rule ES1007
    # pairs the permission with this config by that value. CloudFormation accepts either form; its drift
    # detection reports an ARN here as drifted (cloudformation-coverage-roadmap issue 2571).
    config = lambda_.CfnEventInvokeConfig(
        function,
        "FailureDestination",
        function_name=function.function.function_arn,
        qualifier="$LATEST",
        maximum_retry_attempts=defaults.SCHEDULED_RETRY_ATTEMPTS,
        maximum_event_age_in_seconds=int(max_event_age.to_seconds()),
        destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
            on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(destination=topic.topic_arn)
        ),
    )
    if grant:
        for statement in publish_statements(stack, topic, sid="PublishFailedRuns"):
            function.add_to_policy(statement)
    # The policy must exist before Lambda can publish a failed run of the function.
    config.node.add_dependency(function.policy)
    return config
