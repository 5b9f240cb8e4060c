"""A local Vertex AI (and OAuth token endpoint) for tests, demos and benchmarks; see README.md here.

Nothing is imported eagerly: ``router.emulator.app.create_app`` (ASGI) and ``router.emulator.server``
(uvicorn, ``start_in_thread``) are imported where used, so production code never pays for the emulator.
"""
