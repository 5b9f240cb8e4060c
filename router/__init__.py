"""vertex-router: Google Vertex AI models behind one OpenAI-compatible API, driven by one YAML file."""
