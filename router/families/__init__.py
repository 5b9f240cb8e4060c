"""One translator per model family, looked up by name (modules are imported on first use)."""

from __future__ import annotations

import importlib

from router.families.base import Family

_MODULES = {
    "gemini": "router.families.gemini",
    "anthropic": "router.families.anthropic",
    "openai_compat": "router.families.openai_compat",
    "model_garden": "router.families.model_garden",
    "mistral": "router.families.mistral",
    "ai21": "router.families.ai21",
    "palm": "router.families.palm",
    "embeddings": "router.families.embeddings",
    "imagen": "router.families.imagen",
    "tts": "router.families.tts",
}


def get_family(name: str) -> Family:
    """The translator for a family name; each module exposes a ``FAMILY`` object."""
    module = importlib.import_module(_MODULES[name])
    family: Family = module.FAMILY
    return family
