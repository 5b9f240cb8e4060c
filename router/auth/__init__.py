"""Credentials → cached, proactively refreshed access tokens (google-auth underneath)."""

from router.auth._cache import TokenCache
from router.auth._credentials import (
    CLOUD_PLATFORM,
    CredentialSource,
    describe_source,
    load_credentials,
    load_credentials_and_project,
)

__all__ = [
    "CLOUD_PLATFORM",
    "CredentialSource",
    "TokenCache",
    "describe_source",
    "load_credentials",
    "load_credentials_and_project",
]
