"""WebSocket APIs: the composition root `SecureWebSocketApi` and what only WebSocket APIs have.

Routes with per-route throttling and the `$connect` authorizer wiring live here; the protections
shared with REST APIs stay single modules in `secure_api`.
"""
