"""Failover through the emulator's fault injection: the routing engine and the Router's attempts together.

Engine time is a fake clock (cooldowns pass without waiting); the HTTP calls themselves are real.
"""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from router import MidStreamError, NoDeploymentAvailableError, RateLimitError
from router.emulator.faults import Fault
from tests.core.conftest import FakeClock, Stack

HELLO = [{"role": "user", "content": "hello there"}]
A, B = "us-central1", "europe-west4"
GEMINI = "vertex_ai/gemini-2.5-flash"


def two_regions(stack: Stack, **params: object) -> list[dict[str, object]]:
    return [stack.deployment("flash", GEMINI, A, order=1, **params), stack.deployment("flash", GEMINI, B, order=2)]


async def test_429_with_retry_after_cools_only_that_region_then_one_probe(stack: Stack) -> None:
    clock = FakeClock()
    r = stack.router(two_regions(stack), clock=clock)
    stack.emulator.app.faults.add(Fault(location=A, status=429, retry_after=7, times=1))

    first = await r.acompletion(model="flash", messages=HELLO)
    assert first.choices[0].message.content == "Echo: hello there"
    assert (len(stack.requests(location=A)), len(stack.requests(location=B))) == (1, 1)
    assert clock.sleeps == []  # the retry went to another region: nothing to wait for

    clock.advance(6.5)
    await r.acompletion(model="flash", messages=HELLO)
    assert (len(stack.requests(location=A)), len(stack.requests(location=B))) == (1, 2)

    clock.advance(1.0)  # 7.5 s after the 429: A is back, its tier wins
    await r.acompletion(model="flash", messages=HELLO)
    await r.aclose()
    assert (len(stack.requests(location=A)), len(stack.requests(location=B))) == (2, 2)


async def test_silent_region_fails_over_after_the_first_token_deadline(stack: Stack) -> None:
    r = stack.router(two_regions(stack), timeout=60, first_token_timeout=0.5)
    stack.emulator.app.faults.add(Fault(location=A, silent=True))
    with capture_logs() as logs:
        stream = await r.acompletion(model="flash", messages=HELLO, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    await r.aclose()
    assert text == "Echo: hello there"
    failed = [e for e in logs if e["event"] == "attempt_failed"]
    assert [e["error"] for e in failed] == ["UpstreamTimeoutError"]
    assert len(stack.requests(location=A)) == 1
    assert stream.hidden_params["attempts"] == 2


async def test_stream_cut_after_content_ends_with_mid_stream_error_carrying_the_text(stack: Stack) -> None:
    r = stack.router([stack.deployment("flash", GEMINI, A)])
    stack.emulator.app.faults.add(Fault(location=A, cut_after=2))
    words = [{"role": "user", "content": "one two three four"}]
    stream = await r.acompletion(model="flash", messages=words, stream=True)
    received: list[str] = []

    async def drain() -> None:
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content or "" if chunk.choices else "")

    with pytest.raises(MidStreamError) as err:
        await drain()
    await r.aclose()
    assert received, "the chunks before the cut reached the caller"
    assert err.value.received == "".join(received)
    assert not "".join(received).endswith("four")


async def test_5xx_storm_cools_after_allowed_fails_then_a_probe_brings_it_back(stack: Stack) -> None:
    clock = FakeClock()
    r = stack.router(two_regions(stack), clock=clock, allowed_fails=2, cooldown_time=30)
    storm = stack.emulator.app.faults.add(Fault(location=A, status=500))

    for _ in range(5):
        answer = await r.acompletion(model="flash", messages=HELLO)
        assert answer.choices[0].message.content == "Echo: hello there"
    hits_during_storm = len(stack.requests(location=A))
    assert hits_during_storm <= 3  # allowed_fails=2: the third failure cools it; then no more traffic

    stack.emulator.app.faults.remove(storm.id)
    clock.advance(31)
    await r.acompletion(model="flash", messages=HELLO)  # the half-open probe
    await r.acompletion(model="flash", messages=HELLO)
    await r.aclose()
    assert len(stack.requests(location=A)) == hits_during_storm + 2


async def test_upstream_calls_equal_the_attempt_plan_across_a_fallback_chain(stack: Stack) -> None:
    clock = FakeClock()
    deployments = [*two_regions(stack), stack.deployment("backup", "vertex_ai/gemini-2.0-flash", "asia-east1")]
    r = stack.router(deployments, clock=clock, num_retries=2, fallbacks=[{"flash": ["backup"]}])
    stack.emulator.app.faults.add(Fault(location=A, status=503))
    stack.emulator.app.faults.add(Fault(location=B, status=503))

    answer = await r.acompletion(model="flash", messages=HELLO)
    await r.aclose()
    vertex_calls = [q for q in stack.emulator.app.requests if q.location in (A, B, "asia-east1")]
    assert answer._hidden_params["model_group"] == "backup"
    assert answer._hidden_params["attempts"] == len(vertex_calls)
    assert len(vertex_calls) <= 2 + 1 + 1  # num_retries + the first try + one hop
    assert vertex_calls[-1].location == "asia-east1"


async def test_all_regions_throttled_reports_when_to_come_back(stack: Stack) -> None:
    clock = FakeClock()
    r = stack.router(two_regions(stack), clock=clock, num_retries=1)
    stack.emulator.app.faults.add(Fault(status=429, retry_after=20))
    with pytest.raises((NoDeploymentAvailableError, RateLimitError)) as err:
        await r.acompletion(model="flash", messages=HELLO)
    await r.aclose()
    assert err.value.status_code == 429
    retry_after = getattr(err.value, "retry_after", None)
    assert retry_after is not None and 0 < retry_after <= 20
