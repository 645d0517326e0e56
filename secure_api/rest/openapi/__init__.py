"""OpenAPI 3.0 documents: loading, security mapping, draft-4 request models, the rendered body and
the library's own check of it. ``SecureRestApi.from_openapi`` is the entry point."""
