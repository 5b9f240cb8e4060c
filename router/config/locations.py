"""Vertex locations: a region, ``global``, or a multi-region ``us`` / ``eu``.

A location that is not a hostname label is an error (it is interpolated into the upstream host). A
well-formed one that is not a known Vertex region is a warning with the nearest known name, because Google
opens regions faster than this list changes, while ``us-east-1`` (an AWS-style name) is a classic typo.
"""

from __future__ import annotations

import difflib
import re

# The same rule as router.vertex.urls (a hostname label); repeated here because config sits below vertex in
# the import order (DESIGN.md §2).
_LOCATION = re.compile(r"^[a-z][a-z0-9-]{0,62}$")

DEFAULT_LOCATION = "us-central1"

KNOWN_LOCATIONS = frozenset(
    {
        "global",
        "us",
        "eu",
        "us-central1",
        "us-east1",
        "us-east4",
        "us-east5",
        "us-south1",
        "us-west1",
        "us-west2",
        "us-west3",
        "us-west4",
        "northamerica-northeast1",
        "northamerica-northeast2",
        "southamerica-east1",
        "southamerica-west1",
        "europe-central2",
        "europe-north1",
        "europe-north2",
        "europe-southwest1",
        "europe-west1",
        "europe-west2",
        "europe-west3",
        "europe-west4",
        "europe-west6",
        "europe-west8",
        "europe-west9",
        "europe-west10",
        "europe-west12",
        "asia-east1",
        "asia-east2",
        "asia-northeast1",
        "asia-northeast2",
        "asia-northeast3",
        "asia-south1",
        "asia-south2",
        "asia-southeast1",
        "asia-southeast2",
        "australia-southeast1",
        "australia-southeast2",
        "me-central1",
        "me-central2",
        "me-west1",
        "africa-south1",
    }
)


def check_location(location: str) -> tuple[str, str] | None:
    """None when fine, else (severity, message)."""
    if not _LOCATION.match(location):
        return "error", (
            f"invalid Vertex location {location!r}: expected a region like 'us-central1', 'global', 'us' or 'eu'"
        )
    if location in KNOWN_LOCATIONS:
        return None
    close = difflib.get_close_matches(location, sorted(KNOWN_LOCATIONS), n=1, cutoff=0.7)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return "warning", f"{location!r} is not a known Vertex AI location{hint}"
