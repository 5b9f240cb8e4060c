"""``health()`` rows: per deployment, what this process knows, optionally refreshed from the shared store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from router.routing.deployments import DeploymentSpec
from router.routing.outcomes import LocalStats
from router.routing.state import DeploymentState


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def health_rows(specs: Iterable[DeploymentSpec], stats: Mapping[str, LocalStats], now: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in specs:
        local = stats[spec.id]
        until = local.cooling_until
        cooling = until if until is not None and until > now else None
        out[spec.id] = {
            "group": spec.model_name,
            "model": spec.model,
            "location": spec.location,
            "healthy": cooling is None,
            "cooling_until": cooling,
            "in_flight": local.in_flight,
            "successes": local.successes,
            "failures": local.failures,
            "consecutive_failures": local.consecutive_failures,
            "last_error": local.last_error,
            "latency_ms": _ms(local.latency),
            "ttft_ms": _ms(local.ttft),
        }
    return out


def merge_shared(
    rows: dict[str, Any], states: Mapping[str, DeploymentState], stats: Mapping[str, LocalStats], now: float
) -> None:
    """Overlay the store's view (any process's cooldowns, probes, usage, latency) on the local rows."""
    for dep_id, state in states.items():
        until = state.cooldown_until
        cooling = until if until is not None and until > now else None
        stats[dep_id].cooling_until = until
        rows[dep_id].update(
            healthy=cooling is None,
            cooling_until=cooling,
            half_open=until is not None and cooling is None,
            probe_in_flight=state.probe_until is not None,
            rpm_used=state.rpm_used,
            tpm_used=state.tpm_used,
            shared_in_flight=state.inflight,
            shared_latency_ms=_ms(state.latency),
            shared_ttft_ms=_ms(state.ttft),
        )
