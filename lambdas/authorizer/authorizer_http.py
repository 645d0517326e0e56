"""The HTTP API's Lambda REQUEST event, payload format 2.0: which stage, which token, which address.

API Gateway caches this authorizer's answer per token and source address (its identity sources) and
reuses it for every route of the API, so nothing here depends on the invoked route: ``routeArn`` gives
only the stage the policy covers. Everything here is pure: the JWT itself is verified by the shared core.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from authorizer_connect import request_token
from authorizer_jwt import Denied, new_record
from authorizer_policy import EXECUTE_API_PREFIX, STAGE_NAME, StageArn, stage_of

PAYLOAD_VERSION = "2.0"
DEFAULT_ROUTE = "$default"
_STAGE_ARN = re.compile(EXECUTE_API_PREFIX + rf"(?P<stage>\$default|{STAGE_NAME})")
# Accepted ``<...>:<apiId>/<stage>`` prefixes of route ARNs, and accepted whole route ARNs (a client
# calls the same few routes again and again), each with its stage: pure functions of the text.
_STAGES: dict[str, StageArn] = {}
_ROUTE_ARNS: dict[str, StageArn] = {}


class HttpRequest(NamedTuple):
    """The parts of a payload 2.0 REQUEST event the decision uses."""

    stage: StageArn
    token: str
    source_ip: str | None


def parse_http_request(event: object) -> HttpRequest:
    """Validate a payload 2.0 REQUEST event and take out its stage, bearer token and source address.

    The token comes only from the ``Authorization`` header (any case). Payload 2.0 joins a repeated
    header's values with commas, which never occur in a compact JWS: such a value is refused as
    ambiguous, as two ``Authorization`` headers are on the other events.
    """
    if (
        not isinstance(event, dict)
        or event.get("type") != "REQUEST"
        or event.get("version") != PAYLOAD_VERSION
    ):
        raise Denied("bad_event")
    stage = stage_of(event.get("routeArn"), "bad_route_arn", _STAGE_ARN, DEFAULT_ROUTE, _STAGES, _ROUTE_ARNS)
    token = request_token(event, None)
    if "," in token:
        raise Denied("ambiguous_header")
    context: Any = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    source_ip = http.get("sourceIp") if isinstance(http, dict) else None
    return new_record(HttpRequest, (stage, token, source_ip if isinstance(source_ip, str) else None))
