"""In-process cost of the Gemini translator for a small chat call: build_request + parse_response.

Prints the median over repeated timeit runs, in microseconds per call (request building, JSON encoding,
response decoding and OpenAI object construction; no network, no routing).

    .venv/bin/python benchmarks/gemini_translation.py
"""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable

import orjson

from router.families.base import CallRequest, Target, UpstreamResponse
from router.families.gemini import FAMILY

TARGET = Target(
    family="gemini",
    model="gemini-2.5-flash",
    project="bench-project",
    location="us-central1",
    deployment_id="bench",
    model_name="gemini-flash",
)
REQUEST = CallRequest(
    "chat",
    {
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello, how are you?"},
        ],
        "temperature": 0.2,
        "max_tokens": 256,
    },
)
RESPONSE = UpstreamResponse(
    200,
    {"content-type": "application/json"},
    orjson.dumps(
        {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": "I'm doing well, thanks!"}]}, "finishReason": "STOP"}
            ],
            "usageMetadata": {"promptTokenCount": 14, "candidatesTokenCount": 7, "totalTokenCount": 21},
            "modelVersion": "gemini-2.5-flash",
            "responseId": "bench-response",
        }
    ),
)


def one_call() -> None:
    FAMILY.build_request(REQUEST, TARGET)
    FAMILY.parse_response(RESPONSE, REQUEST, TARGET)


def _median_us(timer: Callable[[], float], number: int, repeat: int) -> tuple[float, float]:
    runs = timeit.repeat(one_call, number=number, repeat=repeat, timer=timer)
    per_call = [r / number * 1e6 for r in runs]
    return statistics.median(per_call), min(per_call)


def main() -> None:
    number, repeat = 20_000, 15
    one_call()  # warm imports and caches
    # Wall time suffers when other processes share the CPU; process CPU time shows the translator's own cost.
    wall, wall_min = _median_us(time.perf_counter, number, repeat)
    cpu, cpu_min = _median_us(time.process_time, number, repeat)
    print(f"gemini build_request + parse_response (small chat): median {wall:.1f} µs/call wall (min {wall_min:.1f})")
    print(f"                                                    median {cpu:.1f} µs/call CPU  (min {cpu_min:.1f})")


if __name__ == "__main__":
    main()
