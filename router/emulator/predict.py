""":predict and friends: text and multimodal embeddings, ``embedContent``, Imagen, Model Garden endpoints,
retired PaLM models, and Cloud Text-to-Speech ``text:synthesize``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from router.emulator.call import Call
from router.emulator.contents import pick
from router.emulator.errors import Reply, bad_request, json_reply, not_found
from router.emulator.routes import resource_name
from router.emulator.synth import (
    MARK_BLOCK,
    answer_for,
    b64,
    count_tokens,
    embedding_vector,
    png_bytes,
    wav_bytes,
)

TASK_TYPES = frozenset(
    {
        "RETRIEVAL_QUERY",
        "RETRIEVAL_DOCUMENT",
        "SEMANTIC_SIMILARITY",
        "CLASSIFICATION",
        "CLUSTERING",
        "QUESTION_ANSWERING",
        "FACT_VERIFICATION",
        "CODE_RETRIEVAL_QUERY",
    }
)
_PALM = re.compile(r"^(chat-bison|text-bison|code-bison|codechat-bison|code-gecko|text-unicorn)")
_MULTIMODAL_DIMS = frozenset({128, 256, 512, 1408})
_IMAGEN_MAX_SAMPLES = 4


def default_dimensions(model: str) -> int:
    if model.startswith("gemini-embedding"):
        return 3072
    return 768


def _instances(call: Call) -> list[Any] | Reply:
    body = call.body
    instances = body.get("instances") if isinstance(body, Mapping) else None
    if not isinstance(instances, list) or not instances:
        return bad_request(
            "Invalid JSON payload received. instances must be a non-empty list.", [("instances", "required")]
        )
    return instances


def publisher_predict(call: Call) -> Reply:
    model = call.route.model
    if _PALM.match(model) and not call.settings.serve_palm:
        return not_found(
            f"Publisher Model `{resource_name(call.route)}` was not found or your project does not have access to it. "
            "Please ensure you are using a valid model version. For more information, see: "
            "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions"
        )
    if model.startswith("multimodalembedding"):
        return multimodal_embeddings(call)
    if "embedding" in model or ("gecko" in model and not model.startswith("code-gecko")):
        return text_embeddings(call)
    if model.startswith(("imagen", "imagegeneration")):
        return imagen(call)
    if _PALM.match(model):
        return palm(call)
    return not_found(
        f"Publisher Model `{resource_name(call.route)}` was not found or your project does not have access to it."
    )


MAX_DIMENSIONS = 3072  # Vertex's largest embedding size (gemini-embedding-001)


def text_embeddings(call: Call) -> Reply:
    instances = _instances(call)
    if isinstance(instances, Reply):
        return instances
    params = call.body.get("parameters") or {}
    dims = pick(params, "outputDimensionality") or default_dimensions(call.route.model)
    if not isinstance(dims, int) or not 1 <= dims <= MAX_DIMENSIONS:
        return bad_request(
            f"outputDimensionality must be between 1 and {MAX_DIMENSIONS}.",
            [("parameters.outputDimensionality", "range")],
        )
    auto_truncate = pick(params, "autoTruncate", True)
    predictions = []
    chars = 0
    for index, instance in enumerate(instances):
        content = instance.get("content") if isinstance(instance, Mapping) else None
        if not isinstance(content, str):
            return bad_request(
                f"instances[{index}].content must be a string.", [(f"instances[{index}].content", "required")]
            )
        task = pick(instance, "taskType")
        if task is not None and task not in TASK_TYPES:
            return bad_request(f"Invalid task_type {task!r} in instances[{index}].")
        tokens = count_tokens(content)
        limit = call.settings.embedding_max_tokens
        if tokens > limit and auto_truncate is False:
            return bad_request(
                f"Unable to submit request because the input token count is {tokens} but the model supports up to "
                f"{limit}. Reduce the input token count and try again."
            )
        chars += len(content)
        stats = {"token_count": min(tokens, limit), "truncated": tokens > limit}
        predictions.append({"embeddings": {"values": embedding_vector(content, int(dims)), "statistics": stats}})
    return json_reply(200, {"predictions": predictions, "metadata": {"billableCharacterCount": chars}})


def multimodal_embeddings(call: Call) -> Reply:
    instances = _instances(call)
    if isinstance(instances, Reply):
        return instances
    params = call.body.get("parameters") or {}
    dims = int(params.get("dimension") or 1408)
    if dims not in _MULTIMODAL_DIMS:
        return bad_request(f"Invalid dimension {dims}; supported: 128, 256, 512, 1408.")
    predictions = []
    for instance in instances:
        if not isinstance(instance, Mapping) or not ({"text", "image", "video"} & set(instance)):
            return bad_request("Each instance needs text, image or video.")
        prediction: dict[str, Any] = {}
        if "text" in instance:
            prediction["textEmbedding"] = embedding_vector(str(instance["text"]), dims)
        if "image" in instance:
            prediction["imageEmbedding"] = embedding_vector("image:" + str(sorted(instance["image"].items())), dims)
        if "video" in instance:
            seed = "video:" + str(sorted(instance["video"].items()))
            prediction["videoEmbeddings"] = [
                {"startOffsetSec": 0, "endOffsetSec": 16, "embedding": embedding_vector(seed, dims)}
            ]
        predictions.append(prediction)
    return json_reply(200, {"predictions": predictions, "deployedModelId": ""})


def embed_content(call: Call) -> Reply:
    body = call.body
    content = pick(body, "content")
    if not isinstance(content, Mapping) or not pick(content, "parts"):
        return bad_request("content with at least one part is required.", [("content", "required")])
    text = " ".join(str(p.get("text", "")) for p in pick(content, "parts") if isinstance(p, Mapping))
    config = pick(body, "embedContentConfig") or {}
    dims = (
        pick(body, "outputDimensionality")
        or pick(config, "outputDimensionality")
        or default_dimensions(call.route.model)
    )
    if not isinstance(dims, int) or not 1 <= dims <= MAX_DIMENSIONS:
        return bad_request(
            f"outputDimensionality must be between 1 and {MAX_DIMENSIONS}.", [("outputDimensionality", "range")]
        )
    tokens = count_tokens(text)
    return json_reply(
        200,
        {
            "embedding": {"values": embedding_vector(text, int(dims))},
            "usageMetadata": {"promptTokenCount": tokens, "totalTokenCount": tokens},
        },
    )


def imagen(call: Call) -> Reply:
    instances = _instances(call)
    if isinstance(instances, Reply):
        return instances
    params = call.body.get("parameters") or {}
    count = params.get("sampleCount", 1)
    if not isinstance(count, int) or not 1 <= count <= _IMAGEN_MAX_SAMPLES:
        return bad_request(f"sampleCount must be between 1 and {_IMAGEN_MAX_SAMPLES}, got {count!r}.")
    prompt = str(instances[0].get("prompt", "")) if isinstance(instances[0], Mapping) else ""
    if not prompt:
        return bad_request("instances[0].prompt is required.")
    if MARK_BLOCK in prompt or "blocked" in prompt.lower():
        if params.get("includeRaiReason"):
            reason = "Your current safety filter threshold filtered out the generated image. Support codes: 58061214"
            return json_reply(200, {"predictions": [{"raiFilteredReason": reason} for _ in range(count)]})
        return json_reply(200, {})
    mime = str((params.get("outputOptions") or {}).get("mimeType") or "image/png")
    predictions = [{"bytesBase64Encoded": b64(png_bytes(f"{prompt}#{i}")), "mimeType": mime} for i in range(count)]
    return json_reply(200, {"predictions": predictions})


def palm(call: Call) -> Reply:
    """Retired models, answered only when ``serve_palm`` is on: text ``content`` or chat ``candidates``."""
    instances = _instances(call)
    if isinstance(instances, Reply):
        return instances
    instance = instances[0] if isinstance(instances[0], Mapping) else {}
    if "messages" in instance:
        text = str((instance["messages"] or [{}])[-1].get("content", ""))
        prediction: dict[str, Any] = {"candidates": [{"author": "bot", "content": answer_for(text)}]}
    else:
        text = str(instance.get("prompt") or instance.get("prefix") or "")  # text-bison: prompt; code-bison: prefix
        prediction = {"content": answer_for(text)}
    out = count_tokens(answer_for(text))
    meta = {
        "tokenMetadata": {
            "inputTokenCount": {"totalTokens": count_tokens(text), "totalBillableCharacters": len(text)},
            "outputTokenCount": {"totalTokens": out, "totalBillableCharacters": len(answer_for(text))},
        }
    }
    return json_reply(200, {"predictions": [prediction], "metadata": meta})


def endpoint_predict(call: Call) -> Reply:
    """A Model Garden deployment: vLLM-style ``prompt`` instances, ``inputs`` (embedding containers), or
    ``@requestFormat: chatCompletions`` (Gemma containers)."""
    instances = _instances(call)
    if isinstance(instances, Reply):
        return instances
    predictions: list[Any] = []
    for instance in instances:
        if not isinstance(instance, Mapping):
            return bad_request("Each instance must be an object.")
        if instance.get("@requestFormat") == "chatCompletions":
            from router.emulator.openai_compat import compose  # local: only this container kind needs it

            chat_call = Call(call.route, dict(instance), call.query, call.settings, call.caches, call.clock)
            completion = compose(chat_call, fim=False)
            if isinstance(completion, Reply):
                return completion
            predictions.append(completion.response())
        elif "inputs" in instance:
            predictions.append([embedding_vector(str(instance["inputs"]), 768)])
        else:
            prompt = str(instance.get("prompt", ""))
            predictions.append(f"Prompt:\n{prompt}\nOutput:\n{answer_for(prompt)}")
    return json_reply(200, {"predictions": predictions, "deployedModelId": call.route.endpoint_id})


_ENCODINGS = {"LINEAR16", "MP3", "OGG_OPUS", "MULAW", "ALAW", "PCM", "M4A"}


def synthesize(call: Call) -> Reply:
    body = call.body if isinstance(call.body, Mapping) else {}
    source = body.get("input") or {}
    text = source.get("text") or source.get("ssml") or source.get("markup") if isinstance(source, Mapping) else None
    if not text:
        return bad_request("Either `input.text` or `input.ssml` needs to be set.", [("input", "required")])
    if not isinstance(body.get("voice"), Mapping) or not body["voice"].get("languageCode"):
        return bad_request("Voice language code is required.", [("voice.language_code", "required")])
    config = body.get("audioConfig") or {}
    encoding = str(config.get("audioEncoding") or "LINEAR16")
    if encoding not in _ENCODINGS:
        label = "type.googleapis.com/google.cloud.texttospeech.v1.AudioEncoding"
        return bad_request(
            f"Invalid value at 'audio_config.audio_encoding' ({label}), \"{encoding}\"",
            [("audio_config.audio_encoding", "invalid enum")],
        )
    audio = wav_bytes(count_tokens(re.sub(r"<[^>]+>", " ", str(text))))
    if encoding == "MP3":
        audio = b"ID3\x04\x00\x00\x00\x00\x00\x00" + audio[44:]
    elif encoding == "OGG_OPUS":
        audio = b"OggS\x00\x02" + audio[44:]
    return json_reply(200, {"audioContent": b64(audio)})
