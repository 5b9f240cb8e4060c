"""Vertex AI endpoint URLs per location kind, and the ``api_base`` override rules.

Region ``R`` → ``https://R-aiplatform.googleapis.com``; ``global`` → ``https://aiplatform.googleapis.com``;
multi-regions ``us`` / ``eu`` → ``https://aiplatform.{us,eu}.rep.googleapis.com``. The location is interpolated
into a hostname, so it is validated first (a crafted location must not send a token elsewhere).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from router.errors import InvalidRequestError

_LOCATION = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
MULTI_REGIONS = frozenset({"us", "eu"})


def validate_location(location: str) -> str:
    if not _LOCATION.match(location):
        raise InvalidRequestError(
            f"invalid Vertex location {location!r}: expected a region like 'us-central1', 'global', 'us' or 'eu'",
            param="vertex_location",
        )
    return location


def host_for(location: str) -> str:
    validate_location(location)
    if location == "global":
        return "https://aiplatform.googleapis.com"
    if location in MULTI_REGIONS:
        return f"https://aiplatform.{location}.rep.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


def resource_path(project: str, location: str, version: str = "v1") -> str:
    return f"/{version}/projects/{project}/locations/{location}"


def publisher_model_url(
    project: str,
    location: str,
    publisher: str,
    model: str,
    method: str,
    *,
    api_base: str | None = None,
    version: str = "v1",
    query: str = "",
) -> str:
    """``.../publishers/{publisher}/models/{model}:{method}`` with the api_base rules applied."""
    path = f"{resource_path(project, location, version)}/publishers/{publisher}/models/{model}"
    return join(path, method, location=location, api_base=api_base, query=query)


def endpoint_url(
    project: str,
    location: str,
    endpoint_id: str,
    method: str,
    *,
    api_base: str | None = None,
    version: str = "v1",
    query: str = "",
) -> str:
    """``.../endpoints/{id}:{method}`` (or ``/{method}`` when method starts with '/')."""
    path = f"{resource_path(project, location, version)}/endpoints/{endpoint_id}"
    return join(path, method, location=location, api_base=api_base, query=query)


def join(path: str, method: str, *, location: str, api_base: str | None, query: str = "") -> str:
    """Apply the api_base override rules to a full Vertex resource path and a ``:method`` or ``/sub`` suffix.

    - no api_base → the Vertex host for the location;
    - api_base with an empty path, or only ``/v1`` / ``/v1beta1`` → its scheme and host (and its version) with
      the Vertex path kept;
    - api_base with a longer path → used as given with the suffix appended.
    """
    validate_location(location)  # also with an api_base: the location is part of the path sent there
    suffix = method if method.startswith("/") else f":{method}"
    if not api_base:
        return f"{host_for(location)}{path}{suffix}{_query(query)}"
    parts = urlsplit(api_base.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        scheme = parts.scheme or "none"
        raise InvalidRequestError(f"api_base must be an absolute http(s) URL (scheme: {scheme})", param="api_base")
    base = f"{parts.scheme}://{parts.netloc}"
    base_path = parts.path.rstrip("/")
    q = _query(parts.query, query)  # an api_base's own query (a gateway key, say) is kept, ours appended
    if not base_path:
        return f"{base}{path}{suffix}{q}"
    if base_path in ("/v1", "/v1beta1"):
        without_version = path.split("/", 2)[2]
        return f"{base}{base_path}/{without_version}{suffix}{q}"
    return f"{base}{base_path}{suffix}{q}"


def _query(*parts: str) -> str:
    joined = "&".join(p for p in parts if p)
    return f"?{joined}" if joined else ""
