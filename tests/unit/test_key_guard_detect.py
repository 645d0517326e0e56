"""The key guard's detector on seeded synthetic traffic, and its building blocks on small cases."""

from __future__ import annotations

import json

import pytest

from tests.lambdas.conftest import lambda_root

lambda_root("key_guard")

import key_guard_detect as d  # noqa: E402

from tests import synthetic_traffic as st  # noqa: E402

W = 300
T0 = 1_704_326_400  # Thursday 00:00 UTC


@pytest.fixture(scope="module")
def report() -> st.Report:
    scenario = st.Scenario(seed=7, keys=300, days=7)
    result = st.run(scenario)
    print()
    print(result.table())
    return result


@pytest.mark.slow
@pytest.mark.parametrize("kind", st.INCIDENT_KINDS)
def test_recall_per_incident_kind(report: st.Report, kind: str) -> None:
    assert report.incidents[kind] >= 50
    assert report.recall(kind) >= 0.95, report.table()


@pytest.mark.slow
def test_false_positives_at_most_one_per_thousand_normal_key_windows(report: st.Report) -> None:
    assert report.normal_key_windows > 100_000
    assert report.false_positive_rate <= 0.001, report.table()


def _window(requests: int, **kw: object) -> d.KeyWindow:
    return d.KeyWindow(api_key_id="abc123", requests=requests, **kw)  # type: ignore[arg-type]


def _warm(config: d.DetectorConfig, *, days: int = 2, level: int = 100) -> tuple[d.Baseline, int]:
    baseline = d.Baseline(api_key_id="abc123")
    ctx = d.KeyContext(consumer="app")
    t = T0
    for i in range(days * 288):
        t = T0 + i * W
        prefixes = frozenset({"198.51.100.0/24", "203.0.113.0/24"})
        findings = d.evaluate_key(
            _window(level + (i % 7), errors_4xx=2, prefixes=prefixes), baseline, ctx, t, config
        )
        assert findings == []
    return baseline, t + W


def test_spike_flags_once_per_incident_and_rerun_is_a_no_op() -> None:
    config = d.DetectorConfig(learning_windows=288)
    baseline, t = _warm(config)
    ctx = d.KeyContext(consumer="app")
    first = d.evaluate_key(_window(2000), baseline, ctx, t, config)
    assert [f.kind for f in first] == ["spike"] and first[0].notify
    assert first[0].numbers["requests"] == 2000
    assert d.evaluate_key(_window(2000), baseline, ctx, t, config) == []  # same window again
    second = d.evaluate_key(_window(2100), baseline, ctx, t + W, config)
    assert [f.kind for f in second] == ["spike"]
    assert not second[0].notify and second[0].incident_start == t
    # The baseline was winsorised: normal traffic afterwards is not a spike.
    assert d.evaluate_key(_window(105), baseline, ctx, t + 2 * W, config) == []
    later = d.evaluate_key(_window(2000), baseline, ctx, t + 10 * W, config)
    assert later[0].notify and later[0].incident_start == t + 10 * W


def test_error_burst_needs_volume_and_ratio() -> None:
    config = d.DetectorConfig(learning_windows=288)
    baseline, t = _warm(config)
    ctx = d.KeyContext(consumer="app")
    assert d.evaluate_key(_window(10, errors_4xx=10), baseline, ctx, t, config) == []
    found = d.evaluate_key(_window(100, errors_4xx=30, errors_5xx=40), baseline, ctx, t + W, config)
    assert [f.kind for f in found] == ["error_burst"]
    assert found[0].numbers["errorRatio"] == 0.7


def test_unusual_place_after_learning() -> None:
    config = d.DetectorConfig(learning_windows=288)
    baseline, t = _warm(config)
    ctx = d.KeyContext(consumer="app")
    new = frozenset(f"192.0.{i}.0/24" for i in range(20)) | {"198.51.100.0/24"}
    found = d.evaluate_key(_window(100, prefixes=new), baseline, ctx, t, config)
    assert [f.kind for f in found] == ["unusual_place"]
    assert found[0].numbers["newPrefixes"] == 20
    assert len(found[0].numbers["examples"]) == 5


def test_unusual_time_sustained_and_declared_hours() -> None:
    config = d.DetectorConfig(learning_windows=288)
    baseline = d.Baseline(api_key_id="abc123")
    ctx = d.KeyContext(consumer="app")
    for day in range(2):
        for i in range(9 * 12, 17 * 12):  # 09:00-17:00 UTC only
            d.evaluate_key(_window(40), baseline, ctx, T0 + day * 86400 + i * W, config)
    night = T0 + 2 * 86400 + 2 * 3600
    kinds = [
        [f.kind for f in d.evaluate_key(_window(40), baseline, ctx, night + i * W, config)] for i in range(4)
    ]
    assert kinds == [[], [], ["unusual_time"], ["unusual_time"]]
    declared = d.KeyContext(consumer="app", active_hours=(8, 18))
    fresh = d.Baseline(api_key_id="abc123")
    kinds = [
        [f.kind for f in d.evaluate_key(_window(40), fresh, declared, night + i * W, config)]
        for i in range(3)
    ]
    assert kinds == [[], [], ["unusual_time"]]


def test_unknown_key_reports_only_that() -> None:
    config = d.DetectorConfig()
    baseline = d.Baseline(api_key_id="zzz")
    found = d.evaluate_key(_window(5), baseline, d.KeyContext(known=False), T0, config)
    assert [(f.kind, f.consumer, f.notify) for f in found] == [("unknown_key", None, True)]
    again = d.evaluate_key(_window(5), baseline, d.KeyContext(known=False), T0 + W, config)
    assert not again[0].notify


def test_baseline_round_trips_through_json() -> None:
    config = d.DetectorConfig(learning_windows=288)
    baseline, _ = _warm(config, days=1)
    restored = d.Baseline.from_dict(json.loads(json.dumps(baseline.to_dict())))
    assert restored.to_dict() == baseline.to_dict()


@pytest.mark.parametrize(
    ("hour", "hours", "inside"),
    [(9, (8, 18), True), (18, (8, 18), False), (23, (22, 6), True), (7, (22, 6), False), (3, (0, 0), True)],
)
def test_in_hours(hour: int, hours: tuple[int, int], inside: bool) -> None:
    assert d.in_hours(hour, hours) is inside


def test_quarantine_decision() -> None:
    finding = d.Finding(
        kind="spike",
        api_key_id="k",
        consumer="app",
        window_start=0,
        incident_start=0,
        notify=True,
        numbers={},
    )
    kinds = frozenset({"spike", "unusual_place"})
    assert d.should_quarantine(finding, enabled=True, kinds=kinds, exempt=frozenset())
    assert not d.should_quarantine(finding, enabled=False, kinds=kinds, exempt=frozenset())
    assert not d.should_quarantine(finding, enabled=True, kinds=kinds, exempt=frozenset({"app"}))
    assert not d.should_quarantine(
        finding, enabled=True, kinds=frozenset({"error_burst"}), exempt=frozenset()
    )
