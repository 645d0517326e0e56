"""HTTP APIs: the composition root `SecureHttpApi` and what only HTTP APIs have.

Route keys with per-route throttling, the native JWT or Lambda authorizer wiring and the CORS
configuration live here; what API Gateway v2 kinds share lives in `secure_api.v2`, the protections
shared with REST APIs stay single modules in `secure_api`.
"""
