"""Vertex resource paths → what was asked for (version, project, location, publisher/model or endpoint, verb)."""

from __future__ import annotations

from dataclasses import dataclass

VERSIONS = frozenset({"v1", "v1beta1"})


@dataclass(frozen=True, slots=True)
class Route:
    """A parsed Vertex path. ``kind`` is one of ``publisher_model``, ``endpoint``, ``endpoint_chat``,
    ``openapi_chat``, ``cached_contents``, ``tts``."""

    kind: str
    version: str = "v1"
    project: str = ""
    location: str = ""
    publisher: str = ""
    model: str = ""
    endpoint_id: str = ""
    verb: str = ""
    resource_id: str = ""

    @property
    def model_key(self) -> str:
        """What fault rules and the request log call the model: the model id, else the endpoint id."""
        return self.model or self.endpoint_id


def parse_route(path: str) -> Route | None:
    """``/v1/projects/P/locations/L/publishers/google/models/M:generateContent`` → ``Route``; ``None`` if unknown."""
    if path == "/v1/text:synthesize":
        return Route(kind="tts", verb="synthesize", location="global", model="text-to-speech")
    segments = path.strip("/").split("/")
    if len(segments) < 6 or segments[0] not in VERSIONS or segments[1] != "projects" or segments[3] != "locations":
        return None
    version, project, location, rest = segments[0], segments[2], segments[4], segments[5:]
    base = {"version": version, "project": project, "location": location}
    head = rest[0]
    if head == "publishers" and len(rest) == 4 and rest[2] == "models":
        model, _, verb = rest[3].partition(":")
        return Route(kind="publisher_model", publisher=rest[1], model=model, verb=verb, **base)
    if head == "endpoints" and len(rest) >= 2:
        return _endpoint_route(rest, base)
    if head == "cachedContents" and len(rest) <= 2:
        return Route(kind="cached_contents", resource_id=rest[1] if len(rest) == 2 else "", **base)
    return None


def _endpoint_route(rest: list[str], base: dict[str, str]) -> Route | None:
    if rest[1:] == ["openapi", "chat", "completions"]:
        return Route(kind="openapi_chat", endpoint_id="openapi", verb="chat/completions", **base)
    if len(rest) == 4 and rest[2:] == ["chat", "completions"]:
        return Route(kind="endpoint_chat", endpoint_id=rest[1], verb="chat/completions", **base)
    if len(rest) == 2 and ":" in rest[1]:
        endpoint_id, _, verb = rest[1].partition(":")
        return Route(kind="endpoint", endpoint_id=endpoint_id, verb=verb, **base)
    return None


def resource_name(route: Route) -> str:
    """The Vertex resource the path names, as Google writes it in messages."""
    prefix = f"projects/{route.project}/locations/{route.location}"
    if route.kind == "publisher_model":
        return f"{prefix}/publishers/{route.publisher}/models/{route.model}"
    if route.endpoint_id:
        return f"{prefix}/endpoints/{route.endpoint_id}"
    return prefix
