"""Fetch a caller-supplied URL (an image or document to inline) without becoming an SSRF proxy.

Only http(s); the host is resolved first and every address must be public (no private, loopback, link-local,
multicast, reserved or metadata addresses, in IPv4, IPv6, or IPv4 embedded in IPv6). The connection then goes
to the checked address itself (Host header and TLS SNI keep the name), so a DNS answer that changes between
check and connect cannot redirect it. Redirects are followed by hand and checked the same way; size and time
are capped. Every failure is an ``InvalidRequestError`` naming the URL (without credentials or query values).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urljoin

import httpx

from router.errors import InvalidRequestError

MAX_BYTES = 20 * 1024 * 1024
TIMEOUT = 10.0
MAX_REDIRECTS = 5
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_BLOCKED_NAMES = frozenset({"metadata", "metadata.google.internal", "metadata.goog", "localhost"})
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public_address(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses; IPv4 embedded in IPv6 is judged as IPv4."""
    embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if embedded is not None:
        return is_public_address(embedded)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_unspecified)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in _NAT64) or int(ip) >> 32 == 0:  # NAT64, and IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


async def fetch_url(
    url: str,
    *,
    client: httpx.AsyncClient | None = None,
    max_bytes: int = MAX_BYTES,
    timeout: float = TIMEOUT,
    resolver: Resolver | None = None,
    max_redirects: int = MAX_REDIRECTS,
) -> tuple[bytes, str]:
    """``(body, media type)`` of a public http(s) URL. Without ``client`` a short-lived one is used."""
    fetcher = _Fetch(url, max_bytes=max_bytes, resolver=resolver or system_resolver)
    try:
        async with asyncio.timeout(timeout):
            if client is not None:
                return await fetcher.run(client, max_redirects)
            from router.vertex.client import default_transport

            async with httpx.AsyncClient(transport=default_transport(), timeout=None) as own:  # noqa: S113
                return await fetcher.run(own, max_redirects)
    except TimeoutError:
        raise fetcher.error(f"took longer than {timeout:g}s") from None


class _Fetch:
    def __init__(self, url: str, *, max_bytes: int, resolver: Resolver) -> None:
        self.original = url
        self.max_bytes = max_bytes
        self.resolver = resolver

    def error(self, reason: str, url: str | None = None) -> InvalidRequestError:
        return InvalidRequestError(f"cannot fetch {redact(url or self.original)}: {reason}", code="url_fetch_failed")

    async def run(self, client: httpx.AsyncClient, max_redirects: int) -> tuple[bytes, str]:
        current = self.original
        for _ in range(max_redirects + 1):
            request = await self._pinned_request(current)
            try:
                response = await client.send(request, stream=True, follow_redirects=False)
            except httpx.HTTPError as exc:
                raise self.error(f"connection failed ({type(exc).__name__})", current) from exc
            try:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    current = urljoin(current, location)
                    continue
                if response.status_code >= 400:
                    raise self.error(f"HTTP {response.status_code}", current)
                return await self._read(response, current), _media_type(response)
            finally:
                await response.aclose()
        raise self.error(f"more than {max_redirects} redirects")

    async def _pinned_request(self, url: str) -> httpx.Request:
        """A GET to the checked IP address of ``url``'s host, keeping the name for Host and TLS."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError) as exc:
            raise self.error("not a valid URL", url) from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise self.error("only http and https URLs can be fetched", url)
        host = parsed.raw_host.decode("ascii").rstrip(".").lower()
        if host in _BLOCKED_NAMES or host.endswith((".internal", ".localhost", ".local")):
            raise self.error("the host is not a public address", url)
        address = await self._public_address(host, parsed.port or (443 if parsed.scheme == "https" else 80), url)
        headers = {"host": parsed.netloc.decode("ascii").rpartition("@")[2], "accept": "*/*"}
        extensions = {"sni_hostname": host} if parsed.scheme == "https" else {}
        pinned = parsed.copy_with(host=str(address), username=None, password=None)
        return httpx.Request("GET", pinned, headers=headers, extensions=extensions)

    async def _public_address(self, host: str, port: int, url: str) -> IPAddress:
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                answers = await self.resolver(host, port)
                addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in answers]
            except (OSError, ValueError) as exc:
                raise self.error("the host name does not resolve", url) from exc
        if not addresses:
            raise self.error("the host name does not resolve", url)
        if not all(is_public_address(a) for a in addresses):
            raise self.error("the host is not a public address", url)
        return addresses[0]

    async def _read(self, response: httpx.Response, url: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self.error(f"larger than {self.max_bytes} bytes", url)
        body = bytearray()
        try:
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise self.error(f"larger than {self.max_bytes} bytes", url)
        except httpx.HTTPError as exc:
            raise self.error(f"connection failed while reading ({type(exc).__name__})", url) from exc
        return bytes(body)


def _media_type(response: httpx.Response) -> str:
    value = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return value or "application/octet-stream"


def redact(url: str) -> str:
    """The URL as an error may show it: no user:password, no query values (signed URLs carry tokens there)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return repr(url[:80])
    shown = parsed.copy_with(username=None, password=None, query=None, fragment=None)
    text = str(shown)[:200]
    return text + ("?…" if parsed.query else "")
