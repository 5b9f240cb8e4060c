"""Vertex AI endpoints, the HTTP client and error mapping at the boundary."""
