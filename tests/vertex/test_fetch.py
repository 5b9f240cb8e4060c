"""fetch_url: public http(s) only, pinned to the checked address, redirects re-checked, size and time capped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import httpx
import pytest

from router.errors import InvalidRequestError
from router.vertex.fetch import fetch_url

PUBLIC = "93.184.216.34"
DNS = {
    "img.example.com": [PUBLIC],
    "cdn.example.com": ["2606:2800:220:1:248:1893:25c8:1946"],
    "rebind.example.com": [PUBLIC, "10.0.0.5"],
    "internal.example.com": ["192.168.1.10"],
}


async def resolver(host: str, port: int) -> Sequence[str]:
    if host not in DNS:
        raise OSError("NXDOMAIN")
    return DNS[host]


def client_for(handler: httpx.MockTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=handler)


async def test_fetches_body_and_media_type_connecting_to_the_checked_address() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"content-type": "image/png; charset=binary"}, content=b"\x89PNG")

    async with client_for(httpx.MockTransport(handler)) as client:
        body, media = await fetch_url("https://img.example.com/cat.png?x=1", client=client, resolver=resolver)
    assert (body, media) == (b"\x89PNG", "image/png")
    assert seen[0].url.host == PUBLIC
    assert seen[0].headers["host"] == "img.example.com"
    assert seen[0].extensions["sni_hostname"] == "img.example.com"
    assert seen[0].url.query == b"x=1"


async def test_ipv6_answers_are_pinned_with_brackets() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "2606:2800:220:1:248:1893:25c8:1946"
        return httpx.Response(200, content=b"ok")

    async with client_for(httpx.MockTransport(handler)) as client:
        assert (await fetch_url("http://cdn.example.com/a", client=client, resolver=resolver))[0] == b"ok"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.1.2.3/x",
        "http://172.16.0.1/",
        "http://192.168.0.1/",
        "http://169.254.169.254/computeMetadata/v1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fd00:ec2::254]/",
        "http://[ff02::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[64:ff9b::a00:1]/",
        "http://[2002:7f00:1::]/",
        "http://[::]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://localhost:8080/",
        "http://internal.example.com/",
        "http://rebind.example.com/",
    ],
)
async def test_non_public_destinations_are_refused_before_any_request(url: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"request sent to {request.url}")

    async with client_for(httpx.MockTransport(handler)) as client:
        with pytest.raises(InvalidRequestError, match="not a public address"):
            await fetch_url(url, client=client, resolver=resolver)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://img.example.com/a", "gopher://x/", "not a url"])
async def test_only_http_and_https_are_fetched(url: str) -> None:
    async with client_for(httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        with pytest.raises(InvalidRequestError, match="cannot fetch"):
            await fetch_url(url, client=client, resolver=resolver)


async def test_unresolvable_host_is_an_invalid_request() -> None:
    async with client_for(httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        with pytest.raises(InvalidRequestError, match="does not resolve"):
            await fetch_url("https://nowhere.example.com/a", client=client, resolver=resolver)


async def test_redirect_to_a_private_address_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "http://169.254.169.254/computeMetadata/v1/"})

    async with client_for(httpx.MockTransport(handler)) as client:
        with pytest.raises(InvalidRequestError, match="not a public address") as info:
            await fetch_url("https://img.example.com/a", client=client, resolver=resolver)
    assert "169.254.169.254" in str(info.value)


async def test_public_redirects_are_followed_relative_and_absolute() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/start":
            return httpx.Response(301, headers={"location": "/moved"})
        if request.url.path == "/moved":
            return httpx.Response(307, headers={"location": "http://cdn.example.com/final"})
        return httpx.Response(200, headers={"content-type": "application/pdf"}, content=b"%PDF")

    async with client_for(httpx.MockTransport(handler)) as client:
        assert await fetch_url("https://img.example.com/start", client=client, resolver=resolver) == (
            b"%PDF",
            "application/pdf",
        )


async def test_redirect_loops_stop_after_the_limit() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "/again"})

    async with client_for(httpx.MockTransport(handler)) as client:
        with pytest.raises(InvalidRequestError, match="more than 2 redirects"):
            await fetch_url("https://img.example.com/a", client=client, resolver=resolver, max_redirects=2)


async def test_declared_size_over_the_cap_is_refused_without_reading() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-length": "5000"}, content=b"x" * 5000)

    async with client_for(httpx.MockTransport(handler)) as client:
        with pytest.raises(InvalidRequestError, match="larger than 1000 bytes"):
            await fetch_url("https://img.example.com/big", client=client, resolver=resolver, max_bytes=1000)


async def test_streamed_body_over_the_cap_is_aborted() -> None:
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        while True:
            sent += 1
            yield b"x" * 512

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=endless())

    async with client_for(httpx.MockTransport(handler)) as client:
        with pytest.raises(InvalidRequestError, match="larger than 1000 bytes"):
            await fetch_url("https://img.example.com/stream", client=client, resolver=resolver, max_bytes=1000)
    assert sent == 2


async def test_slow_server_hits_the_time_cap() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async with client_for(httpx.MockTransport(handler)) as client:
        with pytest.raises(InvalidRequestError, match=r"took longer than 0\.1s"):
            await fetch_url("https://img.example.com/slow", client=client, resolver=resolver, timeout=0.1)


async def test_error_status_names_the_url_without_credentials_or_query_values() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, content=b"SECRET BODY")

    async with client_for(httpx.MockTransport(handler)) as client:
        with pytest.raises(InvalidRequestError) as info:
            await fetch_url("https://user:pw@img.example.com/a.png?sig=TOKEN123", client=client, resolver=resolver)
    message = str(info.value)
    assert "HTTP 403" in message
    assert "img.example.com/a.png" in message
    for secret in ("pw", "TOKEN123", "SECRET BODY"):
        assert secret not in message
