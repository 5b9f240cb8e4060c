"""Access tokens per credential identity: cached, refreshed ahead of expiry, single-flight, off the event loop.

A token is in one of three states on the cache's clock:

    fresh    more than ``refresh_margin`` left       → served
    stale    less than that, more than ``expiry_skew`` → served, and one background refresh is started
    expired  less than ``expiry_skew`` left           → callers wait for the (single) in-flight refresh

google-auth is synchronous (it uses ``requests``), so refreshes run in a worker thread. One asyncio task per
identity does the refresh and every concurrent caller awaits that task; a per-identity ``threading.Lock``
serialises it with ``token_sync`` callers on other threads.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import requests
import structlog
from google.auth import exceptions as google_exceptions
from google.auth.credentials import Credentials
from google.auth.transport.requests import Request

from router.auth._credentials import CLOUD_PLATFORM, CredentialSource, describe_source, load_credentials
from router.errors import CredentialsError

log = structlog.get_logger(__name__)
Loader = Callable[..., Credentials]
_ADC_ENV = ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_QUOTA_PROJECT", "CLOUDSDK_CONFIG", "GCE_METADATA_HOST")
_REFRESH_ERRORS = (google_exceptions.GoogleAuthError, requests.RequestException, OSError, ValueError, KeyError)
_DEFAULT_LIFETIME = 3600.0  # when the token endpoint names no expiry
RECHECK_SECONDS = 1.0  # how stale a file's or mapping's fingerprint may be


@dataclass(slots=True, eq=False)
class _Entry:
    label: str
    source: CredentialSource
    credentials: Credentials | None = None
    token: str | None = None
    expires_at: float = 0.0  # on the cache's clock
    inflight: asyncio.Task[str | CredentialsError] | None = None
    retry_at: float = 0.0  # no background refresh before this (after a failed one)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _TimeoutRequest(Request):
    """google-auth's requests transport with a bounded timeout (its default for token calls is 120 s)."""

    def __init__(self, session: requests.Session, timeout: float) -> None:
        super().__init__(session=session)
        self._timeout = timeout

    def __call__(
        self, url: Any, method: Any = "GET", body: Any = None, headers: Any = None, timeout: Any = None, **kwargs: Any
    ) -> Any:
        bounded = min(timeout or self._timeout, self._timeout)
        return super().__call__(  # type: ignore[no-untyped-call]
            url, method=method, body=body, headers=headers, timeout=bounded, **kwargs
        )


class TokenCache:
    """One per Router. Keys are the whole identity: credential fingerprint and scopes (the quota project is
    part of the fingerprint: it lives in the credentials, or in the environment for ADC)."""

    def __init__(
        self,
        *,
        scopes: Sequence[str] = CLOUD_PLATFORM,
        refresh_margin: float = 300.0,
        expiry_skew: float = 30.0,
        retry_backoff: float = 5.0,
        request_timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        loader: Loader = load_credentials,
        max_entries: int = 256,
    ) -> None:
        self._scopes = tuple(scopes)
        self._margin = refresh_margin
        self._skew = expiry_skew
        self._backoff = retry_backoff
        self._clock = clock
        self._loader = loader
        self._max_entries = max_entries
        self._entries: dict[tuple[str, tuple[str, ...]], _Entry] = {}
        self._fingerprints: dict[object, tuple[CredentialSource, float | None, str]] = {}
        self._session = requests.Session()
        self._request = _TimeoutRequest(self._session, request_timeout)

    # -- public --------------------------------------------------------------------------------------------

    async def token(self, source: CredentialSource) -> str:
        """A valid access token for ``source``; waits only when none is cached or it is about to expire."""
        entry = self._entry(source)
        now = self._clock()
        if entry.token is not None and now < entry.expires_at - self._skew:
            if now >= entry.expires_at - self._margin and now >= entry.retry_at:
                self._start_refresh(entry)
            return entry.token
        return await self._refresh(entry)

    def cached(self, source: CredentialSource) -> str | None:
        """The cached token while it is not yet due for a refresh, else None (then await ``token``): the request
        path's check without a coroutine."""
        entry = self._entries.get((self._fingerprint(source), self._scopes))
        if entry is not None and entry.token is not None and self._clock() < entry.expires_at - self._margin:
            return entry.token
        return None

    def token_sync(self, source: CredentialSource) -> str:
        """``token`` for code outside the event loop (blocks the calling thread while refreshing)."""
        entry = self._entry(source)
        if entry.token is not None and self._clock() < entry.expires_at - self._margin:
            return entry.token
        return self._refresh_blocking(entry)

    def invalidate(self, source: CredentialSource, token: str | None = None) -> None:
        """Forget the cached token after Vertex answered 401. With ``token``, only if that is still the cached
        one — so a burst of 401s for one stale token discards it once, not the fresh one minted after it."""
        entry = self._entries.get(self._key(source))
        if entry is not None and (token is None or entry.token == token):
            entry.token, entry.expires_at = None, 0.0

    async def warm(self, sources: Iterable[CredentialSource]) -> list[CredentialsError]:
        """Mint tokens for every source at start-up; returns the failures instead of raising them."""
        unique = {self._key(s): s for s in sources}
        results = await asyncio.gather(*(self.token(s) for s in unique.values()), return_exceptions=True)
        failures = [r for r in results if isinstance(r, CredentialsError)]
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, CredentialsError):
                raise result
        return failures

    async def drain(self) -> None:
        """Wait for background refreshes started on this loop (shutdown, and tests)."""
        loop = asyncio.get_running_loop()
        entries = list(self._entries.values())
        tasks = [e.inflight for e in entries if e.inflight is not None and e.inflight.get_loop() is loop]
        await asyncio.gather(*tasks)

    def close(self) -> None:
        self._session.close()

    async def aclose(self) -> None:
        """Let running refreshes finish, then close the token endpoint connections."""
        await self.drain()
        self.close()

    # -- identity ------------------------------------------------------------------------------------------

    def _entry(self, source: CredentialSource) -> _Entry:
        key = self._key(source)
        entry = self._entries.get(key)
        if entry is None:
            if len(self._entries) >= self._max_entries:
                self._evict()
            entry = self._entries.setdefault(key, _Entry(label=describe_source(source), source=source))
        return entry

    def _evict(self) -> None:
        idle = [k for k, e in list(self._entries.items()) if e.inflight is None]  # token_sync may insert
        for key in idle[: max(1, len(self._entries) - self._max_entries + 1)]:
            del self._entries[key]

    def _key(self, source: CredentialSource) -> tuple[str, tuple[str, ...]]:
        return self._fingerprint(source), self._scopes

    def _fingerprint(self, source: CredentialSource) -> str:
        """Memoised: a JSON string for good (it cannot change), anything else re-checked after
        ``RECHECK_SECONDS`` (an edited file or mapping gets a new identity within that time). Mappings are
        remembered with a strong reference so their ``id`` cannot be reused by another object meanwhile."""
        memo_key: object = source if isinstance(source, str) else id(source)
        hit = self._fingerprints.get(memo_key)
        now = time.monotonic()
        if hit is not None:
            held, checked_at, known = hit
            same = held == source if isinstance(source, str) else held is source
            if same and (checked_at is None or now - checked_at < RECHECK_SECONDS):
                return known
        inline = isinstance(source, str) and describe_source(source) == "inline JSON"
        fingerprint = _fingerprint_of(source, inline=inline)
        if len(self._fingerprints) >= self._max_entries * 4:
            self._fingerprints.clear()
        self._fingerprints[memo_key] = (source, None if inline else now, fingerprint)
        return fingerprint

    # -- refreshing ----------------------------------------------------------------------------------------

    def _start_refresh(self, entry: _Entry) -> asyncio.Task[str | CredentialsError]:
        loop = asyncio.get_running_loop()
        task = entry.inflight
        if task is None or task.done() or task.get_loop() is not loop:
            task = loop.create_task(self._run_refresh(entry), name=f"token_refresh {entry.label}")
            entry.inflight = task
        return task

    async def _refresh(self, entry: _Entry) -> str:
        result = await asyncio.shield(self._start_refresh(entry))
        if isinstance(result, CredentialsError):
            raise result
        return result

    async def _run_refresh(self, entry: _Entry) -> str | CredentialsError:
        """Never raises a CredentialsError: a background refresh nobody awaits must not leave an unretrieved
        exception, and waiters re-raise it."""
        try:
            return await asyncio.to_thread(self._refresh_blocking, entry)
        except CredentialsError as exc:
            entry.retry_at = self._clock() + self._backoff
            log.warning("token_refresh_failed", source=entry.label, error=exc.message)
            return exc
        finally:
            if entry.inflight is asyncio.current_task():
                entry.inflight = None

    def _refresh_blocking(self, entry: _Entry) -> str:
        with entry.lock:
            if entry.token is not None and self._clock() < entry.expires_at - self._margin:
                return entry.token  # another thread refreshed while this one waited for the lock
            if entry.credentials is None:
                entry.credentials = self._loader(entry.source, scopes=self._scopes)
            credentials = entry.credentials
            try:
                credentials.refresh(self._request)  # type: ignore[no-untyped-call]
            except _REFRESH_ERRORS as exc:
                reason = str(exc)[:300] or type(exc).__name__
                raise CredentialsError(f"token refresh failed: {reason}", source=entry.label) from exc
            token = credentials.token
            if not isinstance(token, str) or not token:
                raise CredentialsError("token endpoint returned no access token", source=entry.label)
            lifetime = _lifetime(credentials.expiry)
            entry.token, entry.expires_at = token, self._clock() + lifetime
            log.info("token_refreshed", source=entry.label, expires_in=round(lifetime))
            return token


def _fingerprint_of(source: CredentialSource, *, inline: bool) -> str:
    """The identity of the credentials' content: what they are, never where the Python object lives."""
    if source is None:
        return "adc:" + _digest([os.environ.get(name, "") for name in _ADC_ENV] + [_stat(_adc_file())])
    if isinstance(source, str) and inline:
        return "json:" + _canonical_digest(source)
    if isinstance(source, str | os.PathLike):
        path = os.path.realpath(os.fspath(source))
        return f"file:{path}:{_stat(path)}"
    return "map:" + hashlib.sha256(orjson.dumps(dict(source), option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def _lifetime(expiry: datetime | None) -> float:
    """Seconds the token has left. Re-based onto the cache's (injectable) clock by the caller."""
    if expiry is None:
        return _DEFAULT_LIFETIME
    now = datetime.now(UTC)
    return (expiry - (now if expiry.tzinfo else now.replace(tzinfo=None))).total_seconds()


def _adc_file() -> str:
    return os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")


def _stat(path: str) -> str:
    if not path:
        return "-"
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    return f"{st.st_mtime_ns}:{st.st_size}"


def _digest(parts: Iterable[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _canonical_digest(text: str) -> str:
    try:
        canonical = orjson.dumps(orjson.loads(text), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = text.encode()
    return hashlib.sha256(canonical).hexdigest()
