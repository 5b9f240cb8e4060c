"""vertex-router: Google Vertex AI models behind one OpenAI-compatible API, driven by one YAML file.

from router import Router
router = Router.from_yaml("config.yaml")
response = router.completion(model="gemini-flash", messages=[{"role": "user", "content": "Hi"}])
"""

from router._oneoff import (
    acompletion,
    aembedding,
    aimage_generation,
    aspeech,
    atext_completion,
    completion,
    embedding,
    image_generation,
    speech,
    text_completion,
)
from router._router import Router, SyncStream
from router._stream import ChatStream
from router.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ConfigError,
    ContentPolicyError,
    ContextWindowExceededError,
    CredentialsError,
    InternalServerError,
    InvalidRequestError,
    JSONSchemaValidationError,
    MidStreamError,
    NoDeploymentAvailableError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RouterError,
    ServiceUnavailableError,
    UnknownModelError,
    UnsupportedParamError,
    UpstreamError,
    UpstreamTimeoutError,
)

__all__ = [
    "APIConnectionError",
    "AuthenticationError",
    "BadRequestError",
    "ChatStream",
    "ConfigError",
    "ContentPolicyError",
    "ContextWindowExceededError",
    "CredentialsError",
    "InternalServerError",
    "InvalidRequestError",
    "JSONSchemaValidationError",
    "MidStreamError",
    "NoDeploymentAvailableError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "Router",
    "RouterError",
    "ServiceUnavailableError",
    "SyncStream",
    "UnknownModelError",
    "UnsupportedParamError",
    "UpstreamError",
    "UpstreamTimeoutError",
    "acompletion",
    "aembedding",
    "aimage_generation",
    "aspeech",
    "atext_completion",
    "completion",
    "embedding",
    "image_generation",
    "speech",
    "text_completion",
]
