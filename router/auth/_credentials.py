"""``vertex_credentials`` (a path, a JSON string, a mapping, or nothing) → google-auth credentials.

Every failure is a ``CredentialsError`` that names where the credentials came from — ``file /path``,
``inline JSON``, ``mapping`` or ``ADC`` — and never their content. Parse errors are raised ``from None`` on
purpose: a JSON decoder's exception keeps the whole document, and a traceback must not print a private key.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import orjson
from google.auth import exceptions as google_exceptions
from google.auth.credentials import Credentials

from router.errors import CredentialsError

CLOUD_PLATFORM: tuple[str, ...] = ("https://www.googleapis.com/auth/cloud-platform",)
MAX_FILE_BYTES = 1 << 20
CredentialSource = str | os.PathLike[str] | Mapping[str, Any] | None
_SECRET_FIELDS = ("private_key", "private_key_id", "refresh_token", "client_secret")
_LOAD_ERRORS = (ValueError, KeyError, TypeError, google_exceptions.GoogleAuthError)


def describe_source(source: CredentialSource) -> str:
    """How an error names the credentials: never their content."""
    if source is None:
        return "ADC"
    if isinstance(source, Mapping):
        return "mapping"
    if isinstance(source, str) and _clean(source).startswith("{"):
        return "inline JSON"
    if isinstance(source, str) and not _plausible_path(source):
        return "inline value"  # neither JSON nor a path: possibly a secret pasted in the wrong place
    return f"file {os.fspath(source)}"


def _plausible_path(value: str) -> bool:
    return (
        0 < len(value) <= 1024
        and "\n" not in value
        and "PRIVATE KEY" not in value
        and not _looks_like_base64_json(value)
    )


def load_credentials(source: CredentialSource, *, scopes: Sequence[str] = CLOUD_PLATFORM) -> Credentials:
    """Credentials for ``source``; ``None`` means Application Default Credentials."""
    return load_credentials_and_project(source, scopes=scopes)[0]


def load_credentials_and_project(
    source: CredentialSource, *, scopes: Sequence[str] = CLOUD_PLATFORM
) -> tuple[Credentials, str | None]:
    """Credentials and the project they name (service account ``project_id``, user ``quota_project_id``, or
    the project ADC found), for deployments that leave ``vertex_project`` unset."""
    if source is None:
        return _application_default(scopes)
    label = describe_source(source)
    info = _info_of(source, label)
    kind = _kind_of(info)
    builder = _BUILDERS.get(kind or "")
    if builder is None:
        expected = ", ".join(sorted(_BUILDERS))
        raise CredentialsError(f"unknown credentials type {str(kind)[:40]!r}; expected one of {expected}", source=label)
    try:
        credentials = builder(info, list(scopes))
    except _LOAD_ERRORS as exc:
        raise CredentialsError(f"{kind} credentials are unusable: {_safe_reason(exc, info)}", source=label) from None
    project = info.get("project_id") or info.get("quota_project_id")
    return credentials, project if isinstance(project, str) else None


def _application_default(scopes: Sequence[str]) -> tuple[Credentials, str | None]:
    import google.auth

    try:
        credentials, project = google.auth.default(scopes=list(scopes))
    except _LOAD_ERRORS as exc:
        raise CredentialsError(f"no usable Application Default Credentials: {exc}", source="ADC") from exc
    if not project:  # gcloud user credentials name their project only as the quota project
        quota = getattr(credentials, "quota_project_id", None)
        project = quota if isinstance(quota, str) else None
    return credentials, project


def _info_of(source: str | os.PathLike[str] | Mapping[str, Any], label: str) -> dict[str, Any]:
    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, str) and _clean(source).startswith("{"):
        return _parse(_clean(source).encode(), label)
    if label == "inline value":
        hint = " (it looks base64-encoded: decode it first)" if _looks_like_base64_json(str(source)) else ""
        raise CredentialsError(f"credentials are neither JSON nor a file path{hint}", source=label)
    path = os.fspath(source)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CredentialsError(f"cannot read the credentials file ({reason})", source=label) from None
    if len(raw) > MAX_FILE_BYTES:
        raise CredentialsError("credentials file is larger than 1 MiB", source=label)
    return _parse(raw.removeprefix(b"\xef\xbb\xbf"), label)


def _parse(raw: bytes, label: str) -> dict[str, Any]:
    try:
        info = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise CredentialsError("credentials are not valid JSON", source=label) from None
    if not isinstance(info, dict):
        raise CredentialsError("credentials JSON is not an object", source=label)
    return info


def _clean(value: str) -> str:
    """Stray whitespace, a BOM or surrounding quotes (common in env vars) are not part of the JSON."""
    return value.strip().lstrip("\ufeff").strip("'\"").strip()


def _looks_like_base64_json(value: str) -> bool:
    if len(value) < 16:
        return False
    try:
        return base64.b64decode(value.strip(), validate=True).lstrip().startswith(b"{")
    except (binascii.Error, ValueError):
        return False


def _kind_of(info: Mapping[str, Any]) -> str | None:
    kind = info.get("type")
    if kind is None and "private_key" in info and "client_email" in info:
        return "service_account"  # keys exported by some tools omit the type
    return kind if isinstance(kind, str) else None


def _safe_reason(exc: BaseException, info: Mapping[str, Any]) -> str:
    """google-auth's explanation, unless it quotes anything secret (then only the exception's name)."""
    message = str(exc)[:300]
    secrets = [v for k in _SECRET_FIELDS if isinstance(v := info.get(k), str) and len(v) >= 8]
    if "-----BEGIN" in message or any(s in message or s[:32] in message for s in secrets):
        return type(exc).__name__
    return message or type(exc).__name__


def _service_account(info: Mapping[str, Any], scopes: list[str]) -> Credentials:
    from google.oauth2 import service_account

    credentials: Credentials = service_account.Credentials.from_service_account_info(info, scopes=scopes)  # type: ignore[no-untyped-call]
    return credentials


def _authorized_user(info: Mapping[str, Any], scopes: list[str]) -> Credentials:
    from google.oauth2 import credentials as user_credentials

    credentials: Credentials = user_credentials.Credentials.from_authorized_user_info(info, scopes=scopes)  # type: ignore[no-untyped-call]
    return credentials


def _external_account(info: Mapping[str, Any], scopes: list[str]) -> Credentials:
    """Workload identity federation: AWS, an executable, or a file/URL token source."""
    source = info.get("credential_source")
    source = source if isinstance(source, Mapping) else {}
    if str(source.get("environment_id", "")).startswith("aws"):
        from google.auth import aws as module
    elif "executable" in source:
        from google.auth import pluggable as module  # type: ignore[no-redef]
    else:
        from google.auth import identity_pool as module  # type: ignore[no-redef]
    credentials: Credentials = module.Credentials.from_info(info, scopes=scopes)  # type: ignore[no-untyped-call]
    return credentials


def _external_account_authorized_user(info: Mapping[str, Any], scopes: list[str]) -> Credentials:
    from google.auth import external_account_authorized_user

    credentials: Credentials = external_account_authorized_user.Credentials.from_info(info, scopes=scopes)  # type: ignore[no-untyped-call]
    return credentials


_BUILDERS: Mapping[str, Callable[[Mapping[str, Any], list[str]], Credentials]] = MappingProxyType(
    {
        "service_account": _service_account,
        "authorized_user": _authorized_user,
        "external_account": _external_account,
        "external_account_authorized_user": _external_account_authorized_user,
    }
)
