"""Who may call the proxy: the master key and named keys (allowed model groups, requests per minute).

Keys are compared as SHA-256 digests with ``hmac.compare_digest`` against every configured key, without
stopping at the first match, so neither the position nor the length of a key leaks through timing.
The rpm and tpm limits are buckets per key, kept in this process: with several workers each enforces them
on its own share of the traffic. A call's tokens are known only after it answered, so tpm is charged then
(the bucket may go into debt) and a key in debt is refused until the debt is refilled.
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
    """One accepted key. ``models`` None means every model group; ``rpm``/``tpm`` None mean no limit."""

    name: str
    digest: bytes
    models: frozenset[str] | None = None
    rpm: int | None = None
    tpm: int | None = None

    @classmethod
    def from_secret(
        cls,
        name: str,
        secret: str,
        *,
        models: Iterable[str] | None = None,
        rpm: int | None = None,
        tpm: int | None = None,
    ) -> ApiKey:
        allowed = frozenset(models) if models is not None else None
        return cls(name=name, digest=_digest(secret.encode()), models=allowed, rpm=rpm, tpm=tpm)

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
    _token_buckets: dict[str, _Bucket] = field(default_factory=dict, init=False, repr=False)

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
            tpm = _get(entry, "tpm")
            keys.append(
                ApiKey.from_secret(
                    str(_get(entry, "name") or f"key-{index}"),
                    str(secret),
                    models=[str(m) for m in models] if models else None,
                    rpm=int(rpm) if rpm else None,
                    tpm=int(tpm) if tpm else None,
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
        """Take one request from the key's per-minute budget; 429 with the wait when it (or tpm) is empty."""
        now = self.clock()
        if key.tpm is not None:
            tokens = _refill(self._token_buckets, key.name, key.tpm, now)
            if tokens.tokens <= 0.0:
                raise KeyRateLimited(retry_after=max(1.0, -tokens.tokens) / (key.tpm / 60.0))
        if key.rpm is None:
            return
        bucket = _refill(self._buckets, key.name, key.rpm, now)
        if bucket.tokens < 1.0:
            raise KeyRateLimited(retry_after=(1.0 - bucket.tokens) / (key.rpm / 60.0))
        bucket.tokens -= 1.0

    def charge_tokens(self, key: ApiKey, tokens: int) -> None:
        """Charge a finished call's tokens to the key's tpm budget (it may go into debt)."""
        if key.tpm is None or tokens <= 0:
            return
        _refill(self._token_buckets, key.name, key.tpm, self.clock()).tokens -= tokens


def _refill(buckets: dict[str, _Bucket], name: str, per_minute: int, now: float) -> _Bucket:
    """The bucket of ``name``, refilled at ``per_minute``/60 per second up to ``per_minute``."""
    bucket = buckets.get(name)
    if bucket is None:
        bucket = buckets[name] = _Bucket(tokens=float(per_minute), stamp=now)
        return bucket
    bucket.tokens = min(float(per_minute), bucket.tokens + (now - bucket.stamp) * per_minute / 60.0)
    bucket.stamp = now
    return bucket


def _presented_key(headers: Mapping[bytes, bytes]) -> bytes | None:
    auth = headers.get(b"authorization")
    if auth:
        scheme, _, token = auth.strip().partition(b" ")
        if scheme.lower() == b"bearer" and token.strip():
            return token.strip()
        if not token:
            # The user guide's curl sends ``Authorization: <key>`` without a scheme; a bare key is accepted
            # (compared in constant time like any other).
            return scheme
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
