"""REST APIs: the composition root `SecureRestApi` and what only REST APIs have.

CORS, the WAF WebACL, request validation, stage method settings, routes and the OpenAPI import live
here; the protections REST and WebSocket APIs share (access policy, authorizer, domain, usage plans,
throttling, access logs, audit, monitoring, outputs) stay in `secure_api`, one module or package each.
"""
