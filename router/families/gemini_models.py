"""What a Gemini model can do, decided from its name once per deployment (never per request).

Generations differ on the wire: Gemini 1.0 has no ``systemInstruction`` (except ``-002``) and no response schema;
2.5 thinks with a token ``thinkingBudget`` (Flash may switch it off with 0, Pro may not); 3+ thinks by
``thinkingLevel``, takes ``functionCall.id`` and media resolution per part. A fine-tuned endpoint id says nothing
about its base model, so it gets the traits of ``target.options["base_model"]`` when the deployment names one,
else those of a current 2.x model (no ids, no thinking control assumed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"gemini-(\d+(?:\.\d+)?)")
_LEGACY_ALIASES = ("gemini-pro", "gemini-pro-vision", "gemini-ultra", "gemini-experimental")


@dataclass(frozen=True, slots=True)
class GeminiTraits:
    version: float  # 1.0, 1.5, 2.0, 2.5, 3.0, ...; 2.0 when unknown (endpoints)
    flash: bool
    system_instruction: bool
    response_schema: bool
    thinking: bool  # accepts a thinkingConfig at all
    thinking_levels: bool  # Gemini 3+: thinkingLevel instead of a budget
    can_disable_thinking: bool  # thinkingBudget 0 allowed
    function_call_ids: bool  # functionCall.id / functionResponse.id accepted
    part_media_resolution: bool  # Part.mediaResolution (3+) vs generationConfig.mediaResolution (2.x)
    media_resolution: bool  # any media resolution control


def traits_for(model: str) -> GeminiTraits:
    """Traits from a model id like ``gemini-2.5-flash-preview-04-17`` or ``gemini-1.0-pro-001``."""
    name = model.lower().rsplit("/", 1)[-1]
    match = _VERSION.search(name)
    if match:
        version = float(match.group(1))
    elif name.startswith(_LEGACY_ALIASES) and not name.endswith("-latest"):
        version = 1.0
    elif name.startswith("gemini-") and name.endswith("-latest"):
        version = 3.0
    else:
        version = 2.0
    flash = "flash" in name
    thinking = version >= 2.5 or "thinking" in name
    return GeminiTraits(
        version=version,
        flash=flash,
        system_instruction=version >= 1.5 or name.endswith("-002"),
        response_schema=version >= 1.5,
        thinking=thinking,
        thinking_levels=version >= 3.0,
        can_disable_thinking=thinking and version < 3.0 and flash,
        function_call_ids=version >= 3.0,
        part_media_resolution=version >= 3.0,
        media_resolution=version >= 2.0,
    )


# A tuned endpoint's base is unknown: allow thinking budgets (2.5-era tuning) and let Vertex judge the rest.
ENDPOINT_TRAITS = GeminiTraits(
    version=2.5,
    flash=False,
    system_instruction=True,
    response_schema=True,
    thinking=True,
    thinking_levels=False,
    can_disable_thinking=True,
    function_call_ids=False,
    part_media_resolution=False,
    media_resolution=True,
)
