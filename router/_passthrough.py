"""``/vertex-ai/{path}``: native Vertex REST calls forwarded with the router's own credentials.

The client authenticates to the proxy with its proxy key; upstream, the call carries a token for the account
that serves the path's project and location: a deployment of that project and location marked
``use_in_pass_through``, else ``default_vertex_config``. Project and location in the path are rewritten to
that account's, so a client can never reach a project the config does not name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from router.config import Config
from router.errors import InvalidRequestError
from router.vertex.urls import host_for, validate_location

_SCOPED = re.compile(r"^/?(?:(v1|v1beta1)/)?projects/[^/]+/locations/([^/]+)(/.*)?$")
_VERSIONED = re.compile(r"^/?(v1|v1beta1)(/.*)$")
# Hop-by-hop and identity headers never forwarded upstream; the token is the router's own.
FORWARDED_HEADERS = frozenset({"content-type", "anthropic-beta", "accept"})


@dataclass(frozen=True, slots=True)
class Account:
    project: str
    location: str
    credentials: Any
    api_base: str | None


def account_for(config: Config, path: str) -> Account:
    match = _SCOPED.match(path)
    wanted_location = match.group(2) if match else None
    for d in config.model_list:
        if d.litellm_params.use_in_pass_through and (wanted_location in (None, d.location)):
            return Account(d.project, d.location, d.credentials, d.litellm_params.api_base)
    default = config.default_vertex_config
    if default is None:
        raise InvalidRequestError(
            "the Vertex pass-through needs default_vertex_config (vertex_project, vertex_location, "
            "vertex_credentials) or a deployment with use_in_pass_through: true in the config",
            param="path",
        )
    location = wanted_location or default.location
    return Account(default.project, validate_location(location), default.credentials, default.api_base)


def upstream_url(account: Account, path: str, query: str) -> str:
    """The Vertex URL for a client path, with the account's project and location."""
    match = _SCOPED.match(path)
    if match:
        version = match.group(1) or ("v1beta1" if "cachedContent" in path else "v1")
        rest = match.group(3) or ""
    else:
        versioned = _VERSIONED.match(path)
        version, rest = (versioned.group(1), versioned.group(2)) if versioned else ("v1", "/" + path.lstrip("/"))
    if ".." in rest.split("/"):
        raise InvalidRequestError("path segments '..' are not allowed", param="path")
    base = account.api_base.rstrip("/") if account.api_base else host_for(account.location)
    url = f"{base}/{version}/projects/{account.project}/locations/{account.location}{rest}"
    return f"{url}?{query}" if query else url


def forwarded_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() in FORWARDED_HEADERS}
