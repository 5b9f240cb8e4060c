"""A primary failing with 503 for a while, then healthy, under fewer than 20 requests: every request is served
(by the secondary during the outage), and the primary answers again soon after it recovers (its cooldown ends
and a probe finds it healthy). The primary's cooldown is 1 s, so requests are paced a little."""

from __future__ import annotations

import time

import pytest

from router.emulator.faults import Fault
from tests.faults.calls import Outcome, call
from tests.faults.checks import assert_alive, deployment_id, healthy
from tests.faults.conftest import Matrix
from tests.faults.matrix import FAMILIES, MODES, group_name, project

MAX_REQUESTS = 20
OUTAGE_REQUESTS = 6
PACE_S = 0.2  # between requests; the primary's cooldown_time is 1 s


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("family", FAMILIES)
def test_outage_is_served_by_the_secondary_and_the_primary_returns_after_recovery(
    matrix: Matrix, family: str, mode: str
) -> None:
    reference = healthy(matrix, family, mode).text
    group = group_name("outage", family, mode)
    primary = deployment_id(matrix, "outage", family, mode, "a")
    secondary = deployment_id(matrix, "outage", family, mode, "b")
    outage = matrix.emulator.app.faults.add(
        Fault(route=f"/projects/{project('outage', family, mode, 'a')}/", status=503)
    )

    during: list[Outcome] = []
    for _ in range(OUTAGE_REQUESTS):
        during.append(call(matrix.client, group, stream=mode == "stream"))
        time.sleep(PACE_S)
    primary_hits_during = _hits(matrix, family, mode)
    matrix.emulator.app.faults.remove(outage.id)

    after: list[Outcome] = []
    while len(during) + len(after) < MAX_REQUESTS:
        after.append(call(matrix.client, group, stream=mode == "stream"))
        if after[-1].header_deployment == primary:
            break
        time.sleep(PACE_S)

    served = during + after
    assert all(o.status == 200 and o.error is None and o.text == reference for o in served), served
    assert all(o.header_deployment == secondary for o in during)
    assert primary_hits_during < OUTAGE_REQUESTS  # the cooldown kept most requests away from the failing primary
    assert after[-1].header_deployment == primary, "the primary was not used again within 20 requests"
    assert after[-1].header_attempts == 1
    assert_alive(matrix, family, mode)


def _hits(matrix: Matrix, family: str, mode: str) -> int:
    marker = f"/projects/{project('outage', family, mode, 'a')}/"
    return sum(1 for r in matrix.emulator.app.requests if marker in r.path)
