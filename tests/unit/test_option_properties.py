"""Property-based: whatever option values a user writes, the construct either refuses them with a
``SecureApiConfigError`` naming the field, or synthesizes functions whose own configuration loaders
accept their environments (issue 10, item 6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Template
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from secure_api import (
    BearerAuth,
    Consumer,
    CorsPolicy,
    KeyRotation,
    Monitoring,
    SecureRestApi,
    UsageTier,
)
from secure_api.errors import SecureApiConfigError
from tests.lambdas.conftest import lambda_root, load_handler
from tests.unit.helpers import inline_function, new_stack, resources

lambda_root("authorizer")
lambda_root("key_guard")
import authorizer_config  # type: ignore[import-not-found]  # noqa: E402
import key_guard_config  # type: ignore[import-not-found]  # noqa: E402

# Text that hits the grammar's edges: separators, whitespace, quotes, non-ASCII, URL syntax.
_EDGES = st.sampled_from(
    [" ", "\t", ",", '"', "\\", "é", "@", ":", "#", "/", "?", "%", "*", "{", "}", "+", "-", ".", "_", "'"]
)
_TEXT = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.lists(st.one_of(_EDGES, st.sampled_from(["orders", "read", "a", "7"])), max_size=6).map("".join),
)
_HOSTS = st.sampled_from(
    ["login.example.com", "127.0.0.1", "localhost", "[::1]", "a.b", "user:pw@x.example.com"]
)
_URLS = st.one_of(
    st.builds(
        lambda scheme, host, port, path, tail: f"{scheme}://{host}{port}/{path}{tail}",
        st.sampled_from(["https", "http", "ftp"]),
        _HOSTS,
        st.sampled_from(["", ":443", ":8443", ":99999", ":x"]),
        st.sampled_from(["", "oauth2/default", ".well-known/jwks.json", "a b"]),
        st.sampled_from(["", "#f", "?q=1"]),
    ),
    _TEXT,
)
_DURATIONS = st.one_of(
    st.builds(Duration.seconds, st.integers(min_value=0, max_value=100_000)),
    st.builds(Duration.millis, st.integers(min_value=0, max_value=100_000)),
    st.builds(Duration.minutes, st.integers(min_value=0, max_value=2000)),
    st.integers(min_value=0, max_value=5000),
)
_LISTS = st.one_of(st.lists(_TEXT, max_size=3), _TEXT)
_FIELD_PREFIXES = (
    "BearerAuth.",
    "CorsPolicy.",
    "KeyRotation.",
    "Monitoring.",
    "add_route.scopes",
    "stage_name",
    "Firewall.",
)


VALID: dict[str, Any] = {
    "issuer": "https://login.example.com/",
    "audience": ["orders-api"],
    "jwks_uri": None,
    "api_key_claim": None,
    "leeway": Duration.seconds(30),
    "cache_ttl": Duration.minutes(5),
    "allow_headers": ["Content-Type", "Authorization"],
    "max_age": Duration.hours(1),
    "grace_period": Duration.hours(24),
    "every_days": 90,
    "quarantine_exempt": ["partner"],
    "scopes": ["orders:read"],
    "stage_name": "prod-eu",
}
_ANY: dict[str, st.SearchStrategy[Any]] = {
    "issuer": _URLS,
    "audience": _LISTS,
    "jwks_uri": st.one_of(st.none(), _URLS),
    "api_key_claim": st.one_of(st.none(), _TEXT),
    "leeway": _DURATIONS,
    "cache_ttl": _DURATIONS,
    "allow_headers": _LISTS,
    "max_age": _DURATIONS,
    "grace_period": _DURATIONS,
    "every_days": st.integers(min_value=0, max_value=1200),
    "quarantine_exempt": st.lists(st.sampled_from(["mobile-app", "partner", "ghost", "a b", ""]), max_size=2),
    "scopes": _LISTS,
    "stage_name": st.one_of(st.sampled_from(["prod", "prod-eu", "v1_2"]), _TEXT),
}


def _options(draw: st.DrawFn) -> dict[str, Any]:
    """Valid options with up to two fields replaced by generated values (so that about a third of the
    examples are accepted and synthesized, and the rest are refused for a field the test knows)."""
    changed = draw(st.lists(st.sampled_from(sorted(_ANY)), max_size=2, unique=True))
    return {**VALID, **{name: draw(_ANY[name]) for name in changed}}


options_strategy = st.composite(_options)


def _bearer_auth(options: dict[str, Any]) -> BearerAuth:
    """The generated ``BearerAuth`` (raises SecureApiConfigError)."""
    return BearerAuth(
        issuer=options["issuer"],
        audience=options["audience"],
        jwks_uri=options["jwks_uri"],
        api_key_claim=options["api_key_claim"],
        leeway=options["leeway"],
        cache_ttl=options["cache_ttl"],
    )


def _build(options: dict[str, Any]) -> tuple[Any, SecureRestApi]:
    """The construct under test, built from the generated values (raises SecureApiConfigError)."""
    auth = _bearer_auth(options)
    cors = CorsPolicy(
        ["https://app.example.com"], allow_headers=options["allow_headers"], max_age=options["max_age"]
    )
    rotation = KeyRotation(every_days=options["every_days"], grace_period=options["grace_period"])
    monitoring = Monitoring(quarantine_exempt=options["quarantine_exempt"])
    _, stack = new_stack()
    api = SecureRestApi(
        stack,
        "Api",
        stage_name=options["stage_name"],
        auth=auth,
        cors=cors,
        usage_tiers=[UsageTier("basic")],
        consumers=[Consumer("mobile-app", tier="basic"), Consumer("partner", tier="basic")],
        key_rotation=rotation,
        monitoring=monitoring,
        firewall=None,
        audit=None,
    )
    api.add_route("GET", "/orders/{id}", inline_function(stack), scopes=options["scopes"])
    api.add_route("GET", "/health", inline_function(stack, "Health"))
    return stack, api


def _literal(value: Any) -> str:
    """A deploy-time value (Ref, GetAtt, Join) as a plausible literal; literals unchanged."""
    return value if isinstance(value, str) else "a1b2c3d4e5"


def _check_environments(
    stack: Any, api: SecureRestApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    functions = resources(Template.from_stack(stack), "AWS::Lambda::Function")
    checked = set()
    for logical_id, function in functions.items():
        env = {
            k: _literal(v)
            for k, v in function["Properties"].get("Environment", {}).get("Variables", {}).items()
        }
        if logical_id.startswith("ApiAuthorizerFunction"):
            route_scopes = api._bearer.route_scopes()  # type: ignore[union-attr]
            if route_scopes is not None:
                (tmp_path / env["ROUTE_SCOPES_FILE"]).write_text(json.dumps(route_scopes))
            authorizer_config.load_config(env, tmp_path)
            checked.add("authorizer")
        elif "KeyGuard" in logical_id:
            key_guard_config.load_settings(env)
            checked.add("key_guard")
        elif "KeyRotation" in logical_id:
            for name, value in env.items():
                monkeypatch.setenv(name, value)
            assert load_handler("key_rotation").grace_hours() >= 0
            checked.add("key_rotation")
    assert checked == {"authorizer", "key_guard", "key_rotation"}


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(options=options_strategy())
@example(options=VALID)
def test_refused_with_the_field_named_or_accepted_by_the_functions(
    options: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    try:
        stack, api = _build(options)
    except SecureApiConfigError as error:
        assert error.field.startswith(_FIELD_PREFIXES), error
        assert str(error).startswith(error.field)
        assert options != VALID
        return
    with pytest.MonkeyPatch.context() as monkeypatch:
        _check_environments(stack, api, tmp_path_factory.mktemp("package"), monkeypatch)


@settings(max_examples=400, deadline=None)
@given(options=options_strategy())
def test_bearer_auth_environment_is_what_the_authorizer_loads(options: dict[str, Any]) -> None:
    # The cheap half of the property, many more examples: no synthesis, the option's environment only.
    try:
        auth = _bearer_auth(options)
    except SecureApiConfigError as error:
        assert error.field.startswith("BearerAuth."), error
        return
    config = authorizer_config.load_config(auth.environment())
    assert config.audiences == frozenset(auth.audience)
    assert config.issuer == auth.issuer
    assert config.api_key_claim == auth.api_key_claim


@settings(max_examples=400, deadline=None)
@given(scopes=st.lists(_TEXT, max_size=4))
def test_scopes_the_construct_accepts_are_scopes_the_authorizer_accepts(scopes: list[str]) -> None:
    from secure_api.authorizer import check_scopes

    try:
        checked = check_scopes("add_route.scopes", scopes)
    except SecureApiConfigError as error:
        assert error.field.startswith("add_route.scopes")
        return
    routes = authorizer_config.parse_route_scopes(json.dumps({"GET /x": list(checked)}))
    assert routes[0].scopes == frozenset(scopes)
