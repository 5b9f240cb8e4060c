"""Module-level calls without a config: ``router.completion(model="vertex_ai/gemini-2.5-flash", ...)``.

Each call builds a one-deployment Router from its identity params (project, location, credentials, api_base)
and closes it afterwards. Nothing is kept between calls (no module state), so a token is minted per call:
for more than a few calls, build a ``Router`` once and reuse it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from router._router import Router, SyncStream

_IDENTITY = {
    "vertex_project": "vertex_project",
    "vertex_ai_project": "vertex_project",
    "vertex_location": "vertex_location",
    "vertex_ai_location": "vertex_location",
    "vertex_credentials": "vertex_credentials",
    "vertex_ai_credentials": "vertex_credentials",
    "api_base": "api_base",
}


def _router_for(model: str, params: dict[str, Any], mode: str | None = None) -> Router:
    litellm_params: dict[str, Any] = {"model": model}
    for key, canonical in _IDENTITY.items():
        value = params.pop(key, None)
        if value is not None:
            litellm_params[canonical] = value
    params.pop("custom_llm_provider", None)
    entry: dict[str, Any] = {"model_name": model, "litellm_params": litellm_params}
    if mode:
        entry["model_info"] = {"mode": mode}
    return Router.from_dict({"model_list": [entry]})


# A speech call goes to Cloud Text-to-Speech whatever the model string says (the guide uses ``vertex_ai/test``).
_MODES = {"speech": "audio_speech", "aspeech": "audio_speech"}


# The second positional argument of each call, as LiteLLM's module functions take it
# (``completion("vertex_ai/gemini-2.5-flash", messages)``).
_SECOND = {
    "completion": "messages",
    "text_completion": "prompt",
    "embedding": "input",
    "image_generation": "prompt",
    "speech": "input",
}


def _positional(method: str, args: tuple[Any, ...], params: dict[str, Any]) -> str:
    """``model`` (and the call's main argument) given by position or by name."""
    if len(args) > 2:
        raise TypeError(f"{method}() takes at most 2 positional arguments (model and {_SECOND[method]})")
    if len(args) == 2:
        params[_SECOND[method]] = args[1]
    model = args[0] if args else params.pop("model", None)
    if not isinstance(model, str):
        raise TypeError(f"{method}() needs model='vertex_ai/...'")
    return model


def _sync(method: str) -> Callable[..., Any]:
    def call(*args: Any, **params: Any) -> Any:
        model = _positional(method, args, params)
        router = _router_for(model, params, _MODES.get(method))
        try:
            result = getattr(router, method)(model=model, **params)
        except BaseException:
            router.close()
            raise
        if isinstance(result, SyncStream):
            result.on_close(router.close)
            return result
        router.close()
        return result

    call.__name__ = method
    call.__doc__ = f"One-off ``{method}`` without a config (see the module docstring)."
    return call


def _async(method: str) -> Callable[..., Awaitable[Any]]:
    async def call(*args: Any, **params: Any) -> Any:
        model = _positional(method.removeprefix("a"), args, params)
        router = _router_for(model, params, _MODES.get(method))
        try:
            result = await getattr(router, method)(model=model, **params)
        except BaseException:
            await router.aclose()
            raise
        if hasattr(result, "add_close_callback"):
            result.add_close_callback(router.aclose)
        else:
            await router.aclose()
        return result

    call.__name__ = method
    call.__doc__ = f"One-off ``{method}`` without a config (see the module docstring)."
    return call


completion = _sync("completion")
text_completion = _sync("text_completion")
embedding = _sync("embedding")
image_generation = _sync("image_generation")
speech = _sync("speech")
acompletion = _async("acompletion")
atext_completion = _async("atext_completion")
aembedding = _async("aembedding")
aimage_generation = _async("aimage_generation")
aspeech = _async("aspeech")
