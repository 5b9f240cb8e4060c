"""Who may call the proxy: the master key and named keys (allowed model groups, requests per minute).

Keys are compared as SHA-256 digests with ``hmac.compare_digest`` against every configured key, without
stopping at the first match, so neither the position nor the length of a key leaks through timing.
The rpm limit is a token bucket per key, kept in this process: with several workers each enforces it on its
own share of the traffic.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from router.proxy.errors import AuthenticationFailed, KeyRateLimited, ModelNotAllowed

MASTER_KEY_ENV = "VERTEX_ROUTER_MASTER_KEY"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One accepted key. ``models`` None means every model group; ``rpm`` None means no rate limit."""

    name: str
    digest: bytes
    models: frozenset[str] | None = None
    rpm: int | None = None

    @classmethod
    def from_secret(
        cls, name: str, secret: str, *, models: Iterable[str] | None = None, rpm: int | None = None
    ) -> ApiKey:
        allowed = frozenset(models) if models is not None else None
        return cls(name=name, digest=_digest(secret.encode()), models=allowed, rpm=rpm)

    def may_use(self, model: str) -> bool:
        return self.models is None or model in self.models


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class ProxyAuth:
    """Authenticates requests by header and enforces each key's model list and rpm."""

    keys: list[ApiKey]
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_config(cls, config: Any, env: Mapping[str, str] | None = None) -> ProxyAuth | None:
        """Keys from ``general_settings`` (``master_key`` or env ``VERTEX_ROUTER_MASTER_KEY``, and ``keys``).

        None when no key is configured at all: the caller decides whether that is allowed (``--no-auth``).
        """
        env = os.environ if env is None else env
        settings = _get(config, "general_settings")
        master = _get(settings, "master_key") or env.get(MASTER_KEY_ENV)
        keys: list[ApiKey] = []
        if master:
            keys.append(ApiKey.from_secret("master", str(master)))
        for index, entry in enumerate(_get(settings, "keys") or []):
            secret = _get(entry, "key")
            if not secret:
                continue
            models = _get(entry, "models")
            rpm = _get(entry, "rpm")
            keys.append(
                ApiKey.from_secret(
                    str(_get(entry, "name") or f"key-{index}"),
                    str(secret),
                    models=[str(m) for m in models] if models else None,
                    rpm=int(rpm) if rpm else None,
                )
            )
        return cls(keys) if keys else None

    def authenticate(self, headers: Mapping[bytes, bytes]) -> ApiKey:
        """The key this request presents (``Authorization: Bearer`` or ``x-api-key``); 401 when none matches."""
        presented = _presented_key(headers)
        if presented is None:
            raise AuthenticationFailed(
                "No API key provided. Pass it as 'Authorization: Bearer <key>' or in the 'x-api-key' header."
            )
        digest = _digest(presented)
        found: ApiKey | None = None
        for key in self.keys:
            # No early exit: every configured key is compared, so timing does not tell which one matched.
            if hmac.compare_digest(digest, key.digest) and found is None:
                found = key
        if found is None:
            raise AuthenticationFailed("Invalid API key.")
        return found

    def authorize(self, key: ApiKey, model: str) -> None:
        """403 when the key may not use this model group."""
        if not key.may_use(model):
            raise ModelNotAllowed(model)

    def admit(self, key: ApiKey) -> None:
        """Take one request from the key's per-minute budget; 429 with the wait when it is empty."""
        if key.rpm is None:
            return
        rate = key.rpm / 60.0
        now = self.clock()
        bucket = self._buckets.get(key.name)
        if bucket is None:
            bucket = self._buckets[key.name] = _Bucket(tokens=float(key.rpm), stamp=now)
        bucket.tokens = min(float(key.rpm), bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        if bucket.tokens < 1.0:
            raise KeyRateLimited(retry_after=(1.0 - bucket.tokens) / rate)
        bucket.tokens -= 1.0


def _presented_key(headers: Mapping[bytes, bytes]) -> bytes | None:
    auth = headers.get(b"authorization")
    if auth:
        scheme, _, token = auth.partition(b" ")
        if scheme.lower() == b"bearer" and token.strip():
            return token.strip()
    api_key = headers.get(b"x-api-key")
    if api_key:
        return api_key.strip()
    return None


def _digest(secret: bytes) -> bytes:
    return hashlib.sha256(secret).digest()


def _get(obj: Any, name: str) -> Any:
    """Attribute or mapping access, so the auth works on the pydantic config and on plain dicts alike."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)
