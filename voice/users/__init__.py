"""Staff users: roles, argon2 passwords and API keys, the base of the admin-only REST APIs.

Owns the ``users`` table through :class:`voice.users.repository.UserRepository` and the rules
around it in :class:`voice.users.service.UserService` (valid names and roles, password
length, API keys shown once and stored only as SHA-256). The CLI (``voice users``) manages
users; ``voice.web.access.require_role`` checks them on every protected request.
"""

from __future__ import annotations
