"""The emulator's OAuth2 side: a token endpoint for google-auth's service-account JWT-bearer grant, a GCE
metadata server, and the access tokens both hand out.

Trust is explicit: only keys this authority generated (or found in a credentials file it was asked to write)
verify an assertion. Verification is real RS256 (``cryptography``), so a test that passes here exercises the
same bytes google-auth would send to Google. Access tokens are opaque random strings with an expiry on the
injected clock.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # google-auth signs this audience whatever token_uri says
CLOCK_SKEW = 300.0
MAX_TOKENS = 10_000
METADATA_PREFIX = "/computeMetadata/v1/"
# Every metadata response carries this header; google-auth's GCE detection checks it on the root probe.
METADATA_FLAVOR = ("metadata-flavor", "Google")
_SA_FIELDS = ("type", "private_key", "private_key_id", "client_email", "token_uri")


@dataclass(frozen=True, slots=True)
class _Key:
    kid: str
    email: str
    public: rsa.RSAPublicKey
    private_pem: str


class TokenAuthority:
    """Issues and checks access tokens; the emulator app mounts ``POST /token`` and ``/computeMetadata/v1``."""

    def __init__(self, *, token_ttl: float = 3600.0, clock: Callable[[], float] = time.time) -> None:
        self.token_ttl = token_ttl
        self.token_exchanges = 0  # grants through the token endpoint or the metadata server
        self._clock = clock
        self._keys: dict[str, _Key] = {}
        self._audiences: set[str] = {GOOGLE_TOKEN_URI}
        self._tokens: dict[str, float] = {}
        self._project_id = "emulator-project"
        self._default: _Key | None = None

    # -- credentials ---------------------------------------------------------------------------------------

    def write_credentials(
        self, path: str | os.PathLike[str], *, token_uri: str, project_id: str = "emulator-project"
    ) -> dict[str, Any]:
        """Write a service-account file whose ``token_uri`` points here. An existing file in that format keeps
        its key (it is trusted instead of replaced); only ``token_uri`` / ``project_id`` are brought up to date."""
        target = Path(path)
        existing = _read_service_account(target)
        if existing is None:
            info = self._info(self._new_key(project_id), token_uri=token_uri, project_id=project_id)
        else:
            key = self._trust(existing["private_key"], existing["private_key_id"], existing["client_email"])
            self._info(key, token_uri=token_uri, project_id=project_id)
            info = {**existing, "token_uri": token_uri, "project_id": project_id}
            if info == existing:
                return info
        target.write_bytes(orjson.dumps(info, option=orjson.OPT_INDENT_2))
        target.chmod(0o600)
        return info

    def service_account_info(self, *, token_uri: str, project_id: str = "emulator-project") -> dict[str, Any]:
        """Service-account JSON (as a dict) for this authority's default key, without touching the disk."""
        if self._default is None:
            self._default = self._new_key(project_id)
        return self._info(self._default, token_uri=token_uri, project_id=project_id)

    def _info(self, key: _Key, *, token_uri: str, project_id: str) -> dict[str, Any]:
        self._audiences.add(token_uri)
        self._project_id = project_id
        self._default = self._default or key
        return {
            "type": "service_account",
            "project_id": project_id,
            "private_key_id": key.kid,
            "private_key": key.private_pem,
            "client_email": key.email,
            "client_id": str(int.from_bytes(key.kid.encode()[:8], "big")),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "universe_domain": "googleapis.com",
        }

    def _new_key(self, project_id: str) -> _Key:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return self._trust(pem, secrets.token_hex(20), f"emulator@{project_id}.iam.gserviceaccount.com")

    def _trust(self, private_pem: str, kid: str, email: str) -> _Key:
        private = serialization.load_pem_private_key(private_pem.encode(), password=None)
        if not isinstance(private, rsa.RSAPrivateKey):
            raise ValueError("service-account key is not an RSA key")
        key = _Key(kid=kid, email=email, public=private.public_key(), private_pem=private_pem)
        self._keys[kid] = key
        return key

    # -- token endpoint ------------------------------------------------------------------------------------

    def handle_token_request(self, body: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
        """``POST /token``: the JWT-bearer grant → ``(200, token JSON)`` or ``(400, Google's OAuth error)``."""
        form = _parse_form(body, content_type)
        if form.get("grant_type") != JWT_BEARER:
            return 400, _oauth_error("unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type", ""))
        problem = self._check_assertion(form.get("assertion", ""))
        if problem is not None:
            return 400, _oauth_error("invalid_grant", problem)
        token = self.issue_token()
        self.token_exchanges += 1
        return 200, {"access_token": token, "expires_in": int(self.token_ttl), "token_type": "Bearer"}

    def _check_assertion(self, assertion: str) -> str | None:
        """Why the assertion is refused, or None when it is good."""
        try:
            head_b64, claims_b64, sig_b64 = assertion.split(".")
            header = orjson.loads(_b64decode(head_b64))
            claims = orjson.loads(_b64decode(claims_b64))
            signature = _b64decode(sig_b64)
        except (ValueError, binascii.Error, orjson.JSONDecodeError):
            return "Invalid JWT: malformed assertion"
        if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "RS256":
            return "Invalid JWT: expected an RS256-signed JSON token"
        key = self._keys.get(str(header.get("kid"))) or self._key_by_email(claims.get("iss"))
        if key is None:
            return "Invalid JWT Signature."  # Google's wording for an unknown key
        try:
            signed = f"{head_b64}.{claims_b64}".encode()
            key.public.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return "Invalid JWT Signature."
        return self._check_claims(claims, key)

    def _check_claims(self, claims: Mapping[str, Any], key: _Key) -> str | None:
        now = self._clock()
        if claims.get("iss") != key.email:
            return "Invalid JWT: iss does not match the key's service account"
        if claims.get("aud") not in self._audiences:
            return "Invalid JWT: Failed audience check."
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int | float) or not isinstance(exp, int | float):
            return "Invalid JWT: iat and exp are required"
        if iat > now + CLOCK_SKEW or exp < now - CLOCK_SKEW or exp - iat > 3600 + CLOCK_SKEW:
            return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."
        if not claims.get("scope") and not claims.get("target_audience"):
            return "Invalid JWT: a scope is required"
        return None

    def _key_by_email(self, email: object) -> _Key | None:
        return next((k for k in self._keys.values() if k.email == email), None)

    # -- access tokens -------------------------------------------------------------------------------------

    def issue_token(self, ttl: float | None = None) -> str:
        """A new access token valid for ``ttl`` seconds (default ``token_ttl``). Tests use it to get a token
        without a grant, so it does not count in ``token_exchanges``."""
        now = self._clock()
        if len(self._tokens) >= MAX_TOKENS:
            self._evict(now)
        token = "ya29.emu-" + secrets.token_urlsafe(32)
        self._tokens[token] = now + (self.token_ttl if ttl is None else ttl)
        return token

    def check_access_token(self, token: str | None) -> bool:
        """The token was issued here and has not expired (on the injected clock)."""
        if not token:
            return False
        expiry = self._tokens.get(token)
        return expiry is not None and self._clock() < expiry

    def revoke(self, token: str) -> None:
        """Forget a token (tests use it to provoke a 401 from the Vertex routes)."""
        self._tokens.pop(token, None)

    def _evict(self, now: float) -> None:
        for token in [t for t, exp in self._tokens.items() if exp <= now]:
            del self._tokens[token]
        while len(self._tokens) >= MAX_TOKENS:  # all still valid: drop the oldest issued
            del self._tokens[next(iter(self._tokens))]

    # -- metadata server -----------------------------------------------------------------------------------

    def handle_metadata(self, path: str, query: str, headers: Mapping[str, str]) -> tuple[int, bytes, str]:
        """A GCE metadata request → ``(status, body, content_type)``. The app adds ``METADATA_FLAVOR`` as a
        response header to every answer."""
        flavor = next((v for k, v in headers.items() if k.lower() == "metadata-flavor"), None)
        if flavor != "Google":
            return 403, b"Missing required header: Metadata-Flavor: Google\n", "text/plain"
        if path in ("", "/"):
            return 200, b"computeMetadata/\n", "application/text"
        if not path.startswith(METADATA_PREFIX):
            return 404, b"Not Found\n", "text/plain"
        return self._metadata_resource(path[len(METADATA_PREFIX) :].rstrip("/"), parse_qs(query))

    def _metadata_resource(self, resource: str, query: Mapping[str, list[str]]) -> tuple[int, bytes, str]:
        email = self._metadata_email()
        account = resource.removeprefix("instance/service-accounts/")
        if account != resource:
            name, _, leaf = account.partition("/")
            if name not in ("default", email):
                return 404, b"Not Found\n", "text/plain"
            return self._service_account_resource(leaf, email, query)
        if resource == "project/project-id":
            return 200, self._project_id.encode(), "application/text"
        if resource == "project/numeric-project-id":
            return 200, b"123456789012", "application/text"
        if resource == "universe/universe-domain":
            return 200, b"googleapis.com", "application/text"
        if resource == "instance/zone":
            return 200, b"projects/123456789012/zones/us-central1-a", "application/text"
        return 404, b"Not Found\n", "text/plain"

    def _service_account_resource(
        self, leaf: str, email: str, query: Mapping[str, list[str]]
    ) -> tuple[int, bytes, str]:
        if leaf == "token":
            token = self.issue_token()
            self.token_exchanges += 1
            body = {"access_token": token, "expires_in": int(self.token_ttl), "token_type": "Bearer"}
            return 200, orjson.dumps(body), "application/json"
        if leaf == "email":
            return 200, email.encode(), "application/text"
        if leaf == "scopes":
            return 200, b"https://www.googleapis.com/auth/cloud-platform\n", "application/text"
        if leaf == "" and query.get("recursive") == ["true"]:
            info = {
                "aliases": ["default"],
                "email": email,
                "scopes": ["https://www.googleapis.com/auth/cloud-platform"],
            }
            return 200, orjson.dumps(info), "application/json"
        if leaf == "":
            return 200, b"aliases\nemail\nidentity\nscopes\ntoken\n", "application/text"
        return 404, b"Not Found\n", "text/plain"

    def _metadata_email(self) -> str:
        if self._default is not None:
            return self._default.email
        return f"emulator@{self._project_id}.iam.gserviceaccount.com"


def _read_service_account(path: Path) -> dict[str, Any] | None:
    """The file's JSON when it is a service-account file with a loadable RSA key; None otherwise."""
    try:
        info = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        return None
    if not all(isinstance(info.get(f), str) and info.get(f) for f in _SA_FIELDS):
        return None
    try:
        key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
    except (ValueError, TypeError):
        return None
    return info if isinstance(key, rsa.RSAPrivateKey) else None


def _parse_form(body: bytes, content_type: str) -> dict[str, str]:
    if content_type.split(";", 1)[0].strip().lower() == "application/json":
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    fields = parse_qs(body.decode("utf-8", "replace"))
    return {k: v[0] for k, v in fields.items() if v}


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _oauth_error(error: str, description: str) -> dict[str, Any]:
    return {"error": error, "error_description": description}
