"""The fault matrix of issue 10, timed: every row through ``vertex-router serve`` in front of the emulator, for
Gemini and the Model Garden OpenAI-compatible family, streamed and unary.

Per row it prints whether the client got the complete healthy answer, the upstream attempts the emulator saw
(per role: a = primary, b = same-group peer, c = fallback group), the proxy's ``x-router-attempts`` header and
the time from the request to the last byte. The outage row reports how many requests were served during the
outage, how often the failing primary was tried, and how soon after recovery it answered again.

    .venv/bin/python benchmarks/fault_matrix.py [--rows cut,stall]

One call per row: a row's deployments keep their cooldowns, so a second call would measure another situation.

The rows, their config and the call are the ones the end-to-end tests use (``tests/faults/matrix.py``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import openai

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the rows live in tests/faults/matrix.py

from router.emulator.faults import Fault
from router.emulator.oauth import TokenAuthority
from router.emulator.server import RunningEmulator, start_in_thread
from tests.faults.calls import Outcome, call, run_case
from tests.faults.matrix import FAMILIES, ROWS, Row, Stack, group_name, project, write_config
from tests.faults.proxy import Blackhole, ServedProxy

PACE_S = 0.2
OUTAGE_REQUESTS = 6
MAX_REQUESTS = 20


def row_line(row: Row, family: str, mode: str, outcome: Outcome, reference: str) -> str:
    complete = outcome.status == 200 and outcome.error is None and outcome.text == reference
    if row.expect_status == 400:
        verdict = "clean-400" if outcome.status == 400 else "FAIL"
    elif row.expect_status == 502:  # nowhere to rescue: the delivered text, then the typed error event
        partial = outcome.error is not None and reference.startswith(outcome.text)
        verdict = "error-end" if partial else "FAIL"
    else:
        verdict = "complete" if complete else "FAIL"
    upstream = " ".join(f"{role}={len(found)}" for role, found in outcome.requests.items())
    return (
        f"{row.key:24} {family:6} {mode:6} {verdict:9} attempts={outcome.attempts} [{upstream:13}] "
        f"header={outcome.header_attempts} last-byte={outcome.seconds * 1000:8.1f} ms"
    )


def run_rows(client: openai.OpenAI, emulator: RunningEmulator, keys: set[str] | None) -> None:
    references = {
        (family, mode): call(client, group_name("healthy", family, mode), stream=mode == "stream").text
        for family in FAMILIES
        for mode in ("stream", "unary")
    }
    for row in ROWS:
        if row.key == "outage" or row.custom or (keys and row.key not in keys):
            continue
        for family in FAMILIES:
            for mode in row.modes:
                emulator.app.requests.clear()
                outcome = run_case(client, emulator.app, row, family, mode)
                print(row_line(row, family, mode, outcome, references[(family, mode)]), flush=True)


def run_outage(client: openai.OpenAI, emulator: RunningEmulator, family: str, mode: str) -> str:
    group = group_name("outage", family, mode)
    marker = f"/projects/{project('outage', family, mode, 'a')}/"
    fault = emulator.app.faults.add(Fault(route=marker, status=503))
    outcomes = []
    for _ in range(OUTAGE_REQUESTS):
        outcomes.append(call(client, group, stream=mode == "stream"))
        time.sleep(PACE_S)
    primary_tries = sum(1 for r in emulator.app.requests if marker in r.path)
    emulator.app.faults.remove(fault.id)
    recovered = time.perf_counter()
    back_after = None
    while len(outcomes) < MAX_REQUESTS:
        outcomes.append(call(client, group, stream=mode == "stream"))
        if sum(1 for r in emulator.app.requests if marker in r.path) > primary_tries and outcomes[-1].status == 200:
            back_after = time.perf_counter() - recovered
            break
        time.sleep(PACE_S)
    served = sum(1 for o in outcomes if o.status == 200 and o.error is None)
    back = f"{back_after:.2f} s after recovery" if back_after is not None else "not within 20 requests"
    return (
        f"{'outage':24} {family:6} {mode:6} served {served}/{len(outcomes)}; primary tried {primary_tries}x during "
        f"{OUTAGE_REQUESTS} outage requests; primary answered again {back} (cooldown_time 1 s, pace {PACE_S} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", help="comma-separated row keys (default: all)")
    args = parser.parse_args()
    keys = set(args.rows.split(",")) if args.rows else None
    authority = TokenAuthority()
    emulator = start_in_thread(authority=authority)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        credentials = home / "sa.json"
        authority.write_credentials(credentials, token_uri=f"{emulator.url}/token")
        blackhole = Blackhole()
        config = write_config(Stack(emulator.url, credentials, blackhole.url), home / "config.yaml")
        proxy = ServedProxy(config, home / "proxy.log", "--no-auth")
        client = openai.OpenAI(base_url=f"{proxy.url}/v1", api_key="unused", max_retries=0, timeout=60)
        try:
            run_rows(client, emulator, keys)
            if keys is None or "outage" in keys:
                for family in FAMILIES:
                    for mode in ("stream", "unary"):
                        print(run_outage(client, emulator, family, mode), flush=True)
            print(f"proxy alive after the matrix: {proxy.alive()}")
        finally:
            client.close()
            proxy.stop()
            blackhole.close()
            emulator.stop()


if __name__ == "__main__":
    main()
