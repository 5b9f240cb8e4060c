"""OpenAI batch input lines → Vertex batch prediction rows, checked whole before anything is uploaded.

Each OpenAI line ``{"custom_id", "method", "url", "body": {"model", ...}}`` is translated by the same family
code as a live call (``FAMILY.build_request``), so a batch row is exactly the body a live request would send:

- Gemini: ``{"request": <generateContent body>}`` with the custom_id in ``request.labels`` (see ``jsonl``);
- Claude: ``{"custom_id": <id>, "request": <Anthropic Messages body>}`` (Vertex's Claude batches keep it);
- embeddings (``/v1/embeddings``, gemini-embedding-* models): one ``{"key": "i/n:<id>", "request":
  <EmbedContentRequest>}`` row per input.

Every problem (not JSON, unknown model, repeated custom_id, a second model, an unsupported url or param)
raises ``InvalidRequestError`` naming the line. The converted rows go to ``dst`` (a temporary file) so the
upload can start only after the whole input was checked.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

import orjson

from router._params import merge_params
from router.errors import InvalidRequestError, RouterError
from router.families import embeddings_gemini
from router.families.base import CallRequest, Family, Target
from router.jobs.jsonl import MAX_CUSTOM_ID_BYTES, encode_custom_id, iter_lines

CHAT_URLS = frozenset({"/v1/chat/completions", "/chat/completions"})
EMBEDDING_URLS = frozenset({"/v1/embeddings", "/embeddings"})
BATCH_FAMILIES = frozenset({"gemini", "anthropic", "embeddings"})
_CLAUDE_CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class LineModel:
    """What a line's ``body.model`` resolved to: the family and target of a configured deployment."""

    family: Family
    target: Target
    defaults: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.target.publisher, self.target.model, self.target.endpoint_id)

    @property
    def object_dir(self) -> str:
        """The model part of the uploaded object's name; the batch job reads its model back from it."""
        if self.target.endpoint_id and self.target.family != "anthropic":
            return f"endpoints/{self.target.endpoint_id}"
        return f"publishers/{self.target.publisher}/models/{self.target.model}"


Resolve = Callable[[str], LineModel | None]


@dataclass(slots=True)
class InputSummary:
    model: LineModel
    lines: int


def convert_batch_input(src: IO[bytes], dst: IO[bytes], resolve: Resolve, *, model: str | None = None) -> InputSummary:
    """Convert every line of ``src`` into ``dst``; raise on the first bad line (nothing is uploaded then).
    ``model``, when given, is the model of every line (``body.model`` may then be left out)."""
    seen: dict[int, int] = {}
    chosen: LineModel | None = None
    first_line = 0
    count = 0
    for number, raw in iter_lines(src):
        line = _parse_line(number, raw)
        custom_id = _custom_id(number, line, seen)
        body = line["body"]
        name = model or body.get("model")
        if not isinstance(name, str) or not name:
            raise _line_error(number, "body.model must be a non-empty string")
        resolved = resolve(name)
        if resolved is None:
            raise _line_error(number, f"model {name!r} is not in the config (use a model_name of model_list)")
        if chosen is None:
            chosen, first_line = resolved, number
        elif resolved.key != chosen.key:
            raise _line_error(
                number,
                f"model {name!r} differs from line {first_line}'s {chosen.target.model!r}; one batch runs one model",
            )
        for row in _rows(number, custom_id, line["url"], body, resolved):
            dst.write(orjson.dumps(row) + b"\n")
        count += 1
    if chosen is None:
        raise InvalidRequestError("the batch file has no request lines", param="file")
    return InputSummary(chosen, count)


def _parse_line(number: int, raw: bytes) -> dict[str, Any]:
    try:
        line = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _line_error(number, f"not valid JSON ({exc})") from None
    if not isinstance(line, dict):
        raise _line_error(number, "each line must be a JSON object")
    url = line.get("url")
    if url not in CHAT_URLS and url not in EMBEDDING_URLS:
        raise _line_error(
            number, f"url {url!r} is not supported in Vertex batches (/v1/chat/completions, /v1/embeddings)"
        )
    method = line.get("method", "POST")
    if method != "POST":
        raise _line_error(number, f"method must be POST, got {method!r}")
    if not isinstance(line.get("body"), dict):
        raise _line_error(number, "body must be a JSON object (an OpenAI chat request)")
    return line


def _custom_id(number: int, line: Mapping[str, Any], seen: dict[int, int]) -> str:
    """The line's custom_id, checked unique. Only an 8-byte digest per line is kept, so a file of millions of
    lines needs a few hundred MB less than keeping the ids themselves."""
    custom_id = line.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise _line_error(number, "custom_id must be a non-empty string")
    if len(custom_id.encode()) > MAX_CUSTOM_ID_BYTES:
        raise _line_error(number, f"custom_id is longer than {MAX_CUSTOM_ID_BYTES} bytes")
    digest = int.from_bytes(hashlib.blake2b(custom_id.encode(), digest_size=8).digest(), "big")
    if digest in seen:
        raise _line_error(number, f"custom_id {custom_id!r} repeats line {seen[digest]}")
    seen[digest] = number
    return custom_id


def _rows(number: int, custom_id: str, url: str, body: Mapping[str, Any], model: LineModel) -> list[dict[str, Any]]:
    family_name = model.target.family
    if family_name not in BATCH_FAMILIES:
        raise _line_error(number, f"{family_name} models cannot run as Vertex batch jobs (Gemini, Claude, embeddings)")
    params = {k: v for k, v in body.items() if k not in ("model", "stream")}
    if (url in EMBEDDING_URLS) != (family_name == "embeddings"):
        raise _line_error(number, f"url {url} does not match model {model.target.model!r}")
    if family_name == "embeddings":
        return _embedding_rows(number, custom_id, params, model)
    return [_chat_row(number, custom_id, params, model)]


def _embedding_rows(number: int, custom_id: str, params: dict[str, Any], model: LineModel) -> list[dict[str, Any]]:
    """One EmbedContentRequest row per input, keyed ``i/n:custom_id`` (``key`` is echoed in the output row, so
    the parts are put back together per custom_id in input order)."""
    if not model.target.model.startswith("gemini-embedding") or model.target.endpoint_id:
        raise _line_error(
            number, "Vertex batch embeddings run on gemini-embedding-* models (other models' rows carry no id)"
        )
    raw = params.get("input")
    items = raw if isinstance(raw, list) else [raw]
    if not items or any(not isinstance(item, str) or not item for item in items):
        raise _line_error(number, "body.input must be a non-empty string or a list of them")
    rows = []
    for index, item in enumerate(items):
        try:
            prepared = embeddings_gemini.build(CallRequest("embedding", {**params, "input": item}), model.target)
        except RouterError as exc:
            raise _line_error(number, exc.message) from None
        request = orjson.loads(prepared.body or b"{}")
        rows.append({"key": f"{index}/{len(items)}:{custom_id}", "request": request})
    return rows


def _chat_row(number: int, custom_id: str, params: dict[str, Any], model: LineModel) -> dict[str, Any]:
    family_name = model.target.family
    if not isinstance(params.get("messages"), list) or not params["messages"]:
        raise _line_error(number, "body.messages must be a non-empty list")
    try:
        merged = merge_params(params, dict(model.defaults))
        prepared = model.family.build_request(CallRequest("chat", merged), model.target)
    except RouterError as exc:
        raise _line_error(number, exc.message) from None
    request = orjson.loads(prepared.body or b"{}")
    if family_name == "anthropic":
        if not _CLAUDE_CUSTOM_ID.match(custom_id):
            raise _line_error(number, "a Claude batch custom_id must match ^[a-zA-Z0-9_-]{1,64}$")
        return {"custom_id": custom_id, "request": request}
    request["labels"] = {**(request.get("labels") or {}), **encode_custom_id(custom_id)}
    return {"request": request}


def _line_error(number: int, message: str) -> InvalidRequestError:
    return InvalidRequestError(f"batch file line {number}: {message}", param="file", code="invalid_batch_line")
