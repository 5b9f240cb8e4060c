"""Prometheus text exposition of what the proxy and the Router did, kept in plain dicts.

Recording a request is a couple of dict increments and a bisect (no locks: one event loop per worker).
Labels are bounded: routes are the fixed route names, deployments and model groups come from the config.
Each worker keeps its own counters; with several workers ``metrics_share.MetricsShare`` merges every
worker's snapshot into one exposition (``snapshot``/``absorb`` are the JSON form it exchanges).
"""

from __future__ import annotations

import bisect
import os
from collections import defaultdict
from typing import Any

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


_ATTEMPT_EVENTS = frozenset({"attempt", "attempt_succeeded", "attempt_failed"})
_COOLDOWN_EVENTS = frozenset({"cooldown", "deployment_cooled_down"})


def _latency_seconds(data: dict[str, Any]) -> float | None:
    if isinstance(data.get("latency_s"), int | float):
        return float(data["latency_s"])
    if isinstance(data.get("latency_ms"), int | float):
        return float(data["latency_ms"]) / 1000.0
    return None


class _Histogram:
    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(LATENCY_BUCKETS, value)] += 1
        self.sum += value


class Metrics:
    """Counters and histograms of one proxy worker; ``on_router_event`` is the Router callback."""

    def __init__(self) -> None:
        self.requests: defaultdict[tuple[str, int], int] = defaultdict(int)
        self.latency: defaultdict[str, _Histogram] = defaultdict(_Histogram)
        self.attempts: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.attempt_latency: defaultdict[str, _Histogram] = defaultdict(_Histogram)
        self.cooldowns: defaultdict[str, int] = defaultdict(int)
        self.rescues: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.tokens: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.outcomes: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.in_flight = 0

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        self.requests[(route, status)] += 1
        self.latency[route].observe(seconds)

    def on_router_event(self, event: str, data: dict[str, Any]) -> None:
        """Router callback: attempts (by deployment and status), cooldowns, per-group outcomes.

        Both the contract's event names (``attempt``, ``cooldown``, ``success``/``failure``) and the routing
        engine's log-event names (``attempt_succeeded``/``attempt_failed``, ``deployment_cooled_down``) count.
        """
        if event in _ATTEMPT_EVENTS:
            deployment = str(data.get("deployment_id"))
            status = data.get("status") if event != "attempt_succeeded" else data.get("status", 200)
            self.attempts[(deployment, str(status))] += 1
            latency = _latency_seconds(data)
            if latency is not None:
                self.attempt_latency[deployment].observe(latency)
        elif event in _COOLDOWN_EVENTS:
            self.cooldowns[str(data.get("deployment_id"))] += 1
        elif event in ("success", "failure"):
            self.outcomes[(str(data.get("model_group")), event)] += 1
        elif event == "stream_rescue":
            self.rescues[(str(data.get("deployment_id")), str(data.get("mode")))] += 1

    def count_usage(self, model_group: str, usage: Any) -> None:
        """Tokens from a response's (or a stream's final chunk's) ``usage``; the proxy sees every response."""
        if usage is None:
            return
        prompt = getattr(usage, "prompt_tokens", 0)
        completion = getattr(usage, "completion_tokens", 0)
        if prompt:
            self.tokens[(model_group, "prompt")] += int(prompt)
        if completion:
            self.tokens[(model_group, "completion")] += int(completion)

    def snapshot(self) -> dict[str, Any]:
        """Everything counted so far, as JSON-able data (for merging across worker processes)."""
        return {
            "requests": [[route, status, n] for (route, status), n in self.requests.items()],
            "latency": {key: [h.counts, h.sum] for key, h in self.latency.items()},
            "attempts": [[deployment, status, n] for (deployment, status), n in self.attempts.items()],
            "attempt_latency": {key: [h.counts, h.sum] for key, h in self.attempt_latency.items()},
            "cooldowns": dict(self.cooldowns),
            "rescues": [[deployment, mode, n] for (deployment, mode), n in self.rescues.items()],
            "tokens": [[group, kind, n] for (group, kind), n in self.tokens.items()],
            "outcomes": [[group, outcome, n] for (group, outcome), n in self.outcomes.items()],
            "in_flight": self.in_flight,
        }

    def absorb(self, snap: dict[str, Any]) -> None:
        """Add another worker's snapshot into these counters."""
        for route, status, n in snap.get("requests", []):
            self.requests[(str(route), int(status))] += int(n)
        for deployment, status, n in snap.get("attempts", []):
            self.attempts[(str(deployment), str(status))] += int(n)
        for group, kind, n in snap.get("tokens", []):
            self.tokens[(str(group), str(kind))] += int(n)
        for group, outcome, n in snap.get("outcomes", []):
            self.outcomes[(str(group), str(outcome))] += int(n)
        for deployment, n in snap.get("cooldowns", {}).items():
            self.cooldowns[str(deployment)] += int(n)
        for deployment, mode, n in snap.get("rescues", []):
            self.rescues[(str(deployment), str(mode))] += int(n)
        for target, source in ((self.latency, snap.get("latency", {})),
                               (self.attempt_latency, snap.get("attempt_latency", {}))):  # fmt: skip
            for key, (counts, total) in source.items():
                hist = target[str(key)]
                if len(counts) == len(hist.counts):
                    hist.counts = [a + int(b) for a, b in zip(hist.counts, counts, strict=True)]
                    hist.sum += float(total)
        self.in_flight += int(snap.get("in_flight", 0))

    def render(self, rss_by_pid: dict[int, int] | None = None) -> bytes:
        """The text exposition format (version 0.0.4). ``rss_by_pid``: resident memory per worker process."""
        out: list[str] = []
        _counter(out, "vertex_router_requests_total", "HTTP requests by route and status.")
        for (route, status), n in sorted(self.requests.items()):
            out.append(f'vertex_router_requests_total{{route="{route}",status="{status}"}} {n}')
        _histograms(out, "vertex_router_request_duration_seconds", "Request latency by route.", "route", self.latency)
        _counter(out, "vertex_router_upstream_attempts_total", "Upstream attempts by deployment and status.")
        for (deployment, outcome), n in sorted(self.attempts.items()):
            labels = f'deployment="{_esc(deployment)}",status="{_esc(outcome)}"'
            out.append(f"vertex_router_upstream_attempts_total{{{labels}}} {n}")
        _histograms(
            out,
            "vertex_router_upstream_attempt_duration_seconds",
            "Upstream attempt latency by deployment.",
            "deployment",
            self.attempt_latency,
        )
        _counter(out, "vertex_router_cooldowns_total", "Times a deployment was put into cooldown.")
        for deployment, n in sorted(self.cooldowns.items()):
            out.append(f'vertex_router_cooldowns_total{{deployment="{_esc(deployment)}"}} {n}')
        _counter(out, "vertex_router_stream_rescues_total", "Broken streams finished by another deployment.")
        for (deployment, mode), n in sorted(self.rescues.items()):
            out.append(f'vertex_router_stream_rescues_total{{deployment="{_esc(deployment)}",mode="{_esc(mode)}"}} {n}')
        _counter(out, "vertex_router_model_requests_total", "Router outcomes by model group.")
        for (group, outcome), n in sorted(self.outcomes.items()):
            out.append(f'vertex_router_model_requests_total{{model_group="{_esc(group)}",outcome="{outcome}"}} {n}')
        _counter(out, "vertex_router_tokens_total", "Tokens by model group and kind.")
        for (group, kind), n in sorted(self.tokens.items()):
            out.append(f'vertex_router_tokens_total{{model_group="{_esc(group)}",kind="{kind}"}} {n}')
        out.append("# HELP vertex_router_in_flight_requests Requests being served now.")
        out.append("# TYPE vertex_router_in_flight_requests gauge")
        out.append(f"vertex_router_in_flight_requests {self.in_flight}")
        if rss_by_pid is None:
            own = rss_bytes()
            rss_by_pid = {} if own is None else {os.getpid(): own}
        out.append("# HELP vertex_router_worker_resident_memory_bytes Resident memory per worker process.")
        out.append("# TYPE vertex_router_worker_resident_memory_bytes gauge")
        for pid, rss in sorted(rss_by_pid.items()):
            out.append(f'vertex_router_worker_resident_memory_bytes{{pid="{pid}"}} {rss}')
        return ("\n".join(out) + "\n").encode()


def _counter(out: list[str], name: str, help_text: str) -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} counter")


def _histograms(out: list[str], name: str, help_text: str, label: str, series: dict[str, _Histogram]) -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} histogram")
    for key, hist in sorted(series.items()):
        base = f'{label}="{_esc(key)}"'
        running = 0
        for bound, count in zip((*LATENCY_BUCKETS, None), hist.counts, strict=True):
            running += count
            le = "+Inf" if bound is None else repr(bound)
            out.append(f'{name}_bucket{{{base},le="{le}"}} {running}')
        out.append(f"{name}_sum{{{base}}} {hist.sum}")
        out.append(f"{name}_count{{{base}}} {running}")


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None
