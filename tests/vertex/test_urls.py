"""Vertex URLs: host per location kind, and the api_base override rules."""

from __future__ import annotations

import pytest

from router.errors import InvalidRequestError
from router.vertex.urls import endpoint_url, host_for, join, publisher_model_url, resource_path

GEMINI_PATH = "/v1/projects/p1/locations/{loc}/publishers/google/models/gemini-2.5-flash:generateContent"


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("us-central1", "https://us-central1-aiplatform.googleapis.com"),
        ("europe-west4", "https://europe-west4-aiplatform.googleapis.com"),
        ("global", "https://aiplatform.googleapis.com"),
        ("us", "https://aiplatform.us.rep.googleapis.com"),
        ("eu", "https://aiplatform.eu.rep.googleapis.com"),
    ],
)
def test_host_per_location_kind_and_path_repeats_the_location(location: str, host: str) -> None:
    assert host_for(location) == host
    url = publisher_model_url("p1", location, "google", "gemini-2.5-flash", "generateContent")
    assert url == host + GEMINI_PATH.format(loc=location)


@pytest.mark.parametrize("api_base", ["http://127.0.0.1:8089", "http://127.0.0.1:8089/"])
def test_api_base_with_empty_path_swaps_scheme_and_host_only(api_base: str) -> None:
    url = publisher_model_url("p1", "us-central1", "google", "gemini-2.5-flash", "generateContent", api_base=api_base)
    assert url == "http://127.0.0.1:8089" + GEMINI_PATH.format(loc="us-central1")


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_api_base_ending_in_a_version_chooses_that_version(version: str) -> None:
    url = publisher_model_url(
        "p1",
        "global",
        "anthropic",
        "claude-sonnet-4-5@20250929",
        "rawPredict",
        api_base=f"https://proxy.example/{version}",
    )
    assert url == (
        f"https://proxy.example/{version}/projects/p1/locations/global/publishers/anthropic/models/"
        "claude-sonnet-4-5@20250929:rawPredict"
    )


def test_api_base_with_a_longer_path_is_used_as_given_plus_method() -> None:
    url = publisher_model_url(
        "p1", "us-central1", "google", "gemini-2.5-flash", "streamGenerateContent",
        api_base="https://gw.example.com/custom/path/", query="alt=sse",
    )  # fmt: skip
    assert url == "https://gw.example.com/custom/path:streamGenerateContent?alt=sse"


def test_streaming_query_is_appended_to_an_api_base_query() -> None:
    url = publisher_model_url(
        "p1",
        "us-central1",
        "google",
        "g",
        "streamGenerateContent",
        api_base="https://gw.example.com/x?key=1",
        query="alt=sse",
    )
    assert url == "https://gw.example.com/x:streamGenerateContent?key=1&alt=sse"


def test_endpoint_urls_with_method_and_sub_path() -> None:
    assert endpoint_url("p1", "us-east5", "123", "predict") == (
        "https://us-east5-aiplatform.googleapis.com/v1/projects/p1/locations/us-east5/endpoints/123:predict"
    )
    assert endpoint_url("p1", "us", "openapi", "/chat/completions", version="v1beta1") == (
        "https://aiplatform.us.rep.googleapis.com/v1beta1/projects/p1/locations/us/endpoints/openapi/chat/completions"
    )


def test_collection_path_joins_with_a_slash() -> None:
    url = join(resource_path("p1", "global"), "/cachedContents", location="global", api_base=None)
    assert url == "https://aiplatform.googleapis.com/v1/projects/p1/locations/global/cachedContents"


@pytest.mark.parametrize("location", ["evil.com/x", "us-central1.evil.com#", "US-CENTRAL1", "", "-x", "a b"])
@pytest.mark.parametrize("api_base", [None, "http://127.0.0.1:8089"])
def test_crafted_locations_are_rejected_with_or_without_api_base(location: str, api_base: str | None) -> None:
    with pytest.raises(InvalidRequestError, match="invalid Vertex location"):
        publisher_model_url("p1", location, "google", "g", "generateContent", api_base=api_base)


@pytest.mark.parametrize("api_base", ["127.0.0.1:8089", "ftp://host/x", "//host/v1"])
def test_api_base_must_be_an_absolute_http_url(api_base: str) -> None:
    with pytest.raises(InvalidRequestError, match="api_base must be an absolute http"):
        publisher_model_url("p1", "us-central1", "google", "g", "generateContent", api_base=api_base)
