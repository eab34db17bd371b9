"""The partner API's shared parts: the envelope, errors, pagination, JWT
authentication, rate limits and the OpenAPI helpers (ARCHITECTURE.md, "API").

Each app keeps its own endpoints in `<app>/api.py`; they validate input with a
small serializer, call one service or selector, and answer through `ok()` or
`paginated()` so every response has the same envelope.
"""
