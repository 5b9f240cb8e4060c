"""Who may call the proxy: the master key and named keys (allowed model groups, requests and tokens per minute).

Keys are compared as SHA-256 digests with ``hmac.compare_digest`` against every configured key, without
stopping at the first match, so neither the position nor the length of a key leaks through timing.

The rpm and tpm limits hold for the whole server, not per process (router/proxy/key_limits.py). With
``router_settings`` pointing at Redis they are counters per key and minute that every worker and machine
shares, exact. Without Redis each of the N workers (``vertex-router serve`` tells each worker N) keeps
buckets of 1/N of each limit, so together they never exceed it. A call's tokens are known only after it
answered, so tpm is charged then (the budget may go over) and a key over its tpm is refused until the local
debt is refilled, or with Redis until the next minute.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from router.proxy.errors import AuthenticationFailed, ModelNotAllowed
from router.proxy.key_limits import LocalKeyLimits, RedisKeyLimits, SharedKeyLimits

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


@dataclass
class ProxyAuth:
    """Authenticates requests by header and enforces each key's model list, rpm and tpm.

    ``workers``: how many worker processes serve together; each enforces that share of the limits locally.
    ``shared``: Redis counters every worker and machine shares (the local buckets stand in while it fails).
    """

    keys: list[ApiKey]
    clock: Callable[[], float] = time.monotonic
    workers: int = 1
    shared: RedisKeyLimits | None = None
    local: LocalKeyLimits = field(init=False, repr=False)
    _limits: SharedKeyLimits | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.local = LocalKeyLimits(workers=self.workers, clock=self.clock)
        if self.shared is not None:
            self._limits = SharedKeyLimits(self.shared, self.local, monotonic=self.clock)

    @classmethod
    def from_config(cls, config: Any, env: Mapping[str, str] | None = None, *, workers: int = 1) -> ProxyAuth | None:
        """Keys from ``general_settings`` (``master_key`` or env ``VERTEX_ROUTER_MASTER_KEY``, and ``keys``);
        their limits shared through Redis when ``router_settings`` configures it, else ``workers``-way split.

        None when no key is configured at all: the caller decides whether that is allowed (``--no-auth``).
        """
        env = os.environ if env is None else env
        settings = _get(config, "general_settings")
        master = _get(settings, "master_key") or env.get(MASTER_KEY_ENV)
        keys: list[ApiKey] = []
        if master:
            keys.append(ApiKey.from_secret("master", str(master)))
        for index, entry in enumerate(_get(settings, "keys") or []):
            key = _named_key(index, entry)
            if key is not None:
                keys.append(key)
        if not keys:
            return None
        limited = any(k.rpm is not None or k.tpm is not None for k in keys)
        shared = _redis_limits(_get(config, "router_settings")) if limited else None
        return cls(keys, workers=workers, shared=shared)

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

    async def admit(self, key: ApiKey) -> None:
        """Take one request from the key's per-minute budget; 429 with the wait when it (or tpm) is spent."""
        if key.rpm is None and key.tpm is None:
            return
        if self._limits is None:
            self.local.admit(key)
        else:
            await self._limits.admit(key)

    async def charge_tokens(self, key: ApiKey, tokens: int) -> None:
        """Charge a finished call's tokens to the key's tpm budget (it may go over: they were spent)."""
        if key.tpm is None or tokens <= 0:
            return
        if self._limits is None:
            self.local.charge(key, tokens)
        else:
            await self._limits.charge(key, tokens)

    async def aclose(self) -> None:
        if self._limits is not None:
            await self._limits.aclose()


def _named_key(index: int, entry: Any) -> ApiKey | None:
    secret = _get(entry, "key")
    if not secret:
        return None
    models = _get(entry, "models")
    rpm = _get(entry, "rpm")
    tpm = _get(entry, "tpm")
    return ApiKey.from_secret(
        str(_get(entry, "name") or f"key-{index}"),
        str(secret),
        models=[str(m) for m in models] if models else None,
        rpm=int(rpm) if rpm else None,
        tpm=int(tpm) if tpm else None,
    )


def _redis_limits(settings: Any) -> RedisKeyLimits | None:
    """Redis counters when ``router_settings`` puts the routing state in Redis (the same server)."""
    url, host = _get(settings, "redis_url"), _get(settings, "redis_host")
    if not (url or host):
        return None
    port = _get(settings, "redis_port")
    return RedisKeyLimits.connect(
        url=url,
        host=host,
        port=int(port) if port else None,
        password=_get(settings, "redis_password"),
        db=int(_get(settings, "redis_db") or 0),
    )


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
