"""``load_config(path)`` and ``load_config_dict(mapping)``: strict loading that reports every problem at once.

Stages, each collecting problems instead of stopping at the first: YAML (syntax, duplicate keys) → known but
unimplemented LiteLLM keys → ``os.environ/`` references → strict schema validation → resolution (model
strings, credentials, project and location precedence) → cross-reference checks. Any error raises one
``ConfigError`` carrying all problems, warnings included; ``strict`` turns warnings into errors.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import pathlib
from collections import ChainMap
from collections.abc import Mapping
from typing import Any

import structlog

from router.config.checks import Checker, partial_file
from router.config.credentials import CredentialInspector
from router.config.env_refs import EnvResolver
from router.config.loaded import Config
from router.config.resolve import Resolver
from router.config.router_models import RouterSettings
from router.config.settings_models import ConfigFile
from router.config.source import Source, format_path, from_mapping, parse_yaml
from router.config.unsupported import strip_unsupported
from router.config.validate import validate_file
from router.config.vertex_env import VertexEnv
from router.errors import ConfigError, ConfigProblem

log = structlog.get_logger(__name__)

# router_settings keys that fall back to litellm_settings (LiteLLM reads both), and their litellm name.
_FROM_LITELLM = {
    "num_retries": "num_retries",
    "allowed_fails": "allowed_fails",
    "timeout": "request_timeout",
    "fallbacks": "fallbacks",
    "default_fallbacks": "default_fallbacks",
    "context_window_fallbacks": "context_window_fallbacks",
    "content_policy_fallbacks": "content_policy_fallbacks",
}


def load_config(
    path: str | os.PathLike[str], *, strict: bool = False, environ: Mapping[str, str] | None = None
) -> Config:
    """Load a YAML config file. Raises ConfigError listing every problem (file:line:column, key path)."""
    file = pathlib.Path(path)
    name = str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError([ConfigProblem(name, 1, 1, "", f"cannot read the config file: {reason}")]) from None
    source, problems = parse_yaml(text, name)
    if any(p.severity == "error" and not p.key_path for p in problems):
        raise ConfigError(problems)
    return _load(source, problems, strict, environ, file.resolve().parent)


def load_config_dict(
    mapping: Mapping[str, Any],
    source: str = "<dict>",
    *,
    strict: bool = False,
    environ: Mapping[str, str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> Config:
    """Load a config given as data (positions are 0:0). Relative credential paths resolve against
    ``base_dir``, else the working directory. The mapping is not modified."""
    parsed = from_mapping(copy.deepcopy(dict(mapping)) if mapping is not None else None, source)
    base = pathlib.Path(base_dir) if base_dir is not None else pathlib.Path.cwd()
    return _load(parsed, [], strict, environ, base)


def _load(
    source: Source,
    problems: list[ConfigProblem],
    strict: bool,
    environ: Mapping[str, str] | None,
    base_dir: pathlib.Path,
) -> Config:
    problems = [*problems, *strip_unsupported(source)]
    refs = EnvResolver(source, os.environ if environ is None else environ)
    refs.run()
    problems += refs.problems
    file, later = validate_file(source, refs.resolved)
    config = None
    if file is not None:
        config = _resolve(source, file, refs, base_dir, later)
    elif (partial := partial_file(source.data)) is not None:
        later += Checker(source, partial, [], partial=True).run()
    # A value left as "os.environ/NAME" was already reported; whatever later stages say about it is noise.
    unresolved = {p.key_path for p in refs.problems}
    problems += [p for p in later if p.key_path not in unresolved]
    return _finish(source, config, problems, strict)


def _resolve(
    source: Source, file: ConfigFile, refs: EnvResolver, base_dir: pathlib.Path, problems: list[ConfigProblem]
) -> Config:
    env = VertexEnv.from_environ(ChainMap(dict(refs.environ), refs.defaults))
    inspector = CredentialInspector(source, base_dir)
    resolver = Resolver(source, file, env, inspector)
    deployments = resolver.deployments()
    default_vertex = None
    if file.default_vertex_config is not None:
        default_vertex = resolver.account(("default_vertex_config",), file.default_vertex_config, default_env=True)
    finetune = resolver.accounts("finetune_settings", file.finetune_settings or [])
    files = resolver.accounts("files_settings", file.files_settings or [])
    problems += inspector.problems + resolver.problems
    problems += Checker(source, file, deployments).run()
    return Config(
        source=source.name,
        model_list=deployments,
        litellm_settings=file.litellm_settings,
        router_settings=effective_router_settings(file),
        general_settings=file.general_settings,
        environment_variables=dict(refs.defaults),
        default_vertex_config=default_vertex,
        finetune_settings=finetune,
        files_settings=files,
    )


def effective_router_settings(file: ConfigFile) -> RouterSettings:
    """router_settings with litellm_settings filling what router_settings did not set."""
    settings = file.router_settings
    update = {
        key: getattr(file.litellm_settings, litellm_key)
        for key, litellm_key in _FROM_LITELLM.items()
        if key not in settings.model_fields_set and getattr(file.litellm_settings, litellm_key) is not None
    }
    return settings.model_copy(update=update) if update else settings


def _finish(source: Source, config: Config | None, problems: list[ConfigProblem], strict: bool) -> Config:
    if strict:
        problems = [dataclasses.replace(p, severity="error") for p in problems]
    problems = sorted(dict.fromkeys(problems), key=lambda p: (p.line, p.column))
    errors = [p for p in problems if p.severity == "error"]
    if errors or config is None:
        raise ConfigError(problems)
    warnings = [p for p in problems if p.severity == "warning"]
    log.debug("config_loaded", source=source.name, deployments=len(config.model_list), warnings=len(warnings))
    return dataclasses.replace(config, warnings=warnings)


__all__ = ["effective_router_settings", "format_path", "load_config", "load_config_dict"]
