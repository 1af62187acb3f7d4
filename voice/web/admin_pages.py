"""The admin configuration pages as one blueprint (``admin_config``, under ``/admin``).

Importing this module attaches every page's routes to :data:`bp`: schedules, queues,
agents, users, webhooks, customers and the audit log (each in its own ``admin_*`` module,
sharing :mod:`voice.web.admin_common`). ``register_blueprints`` registers :data:`bp`.
"""

from __future__ import annotations

from voice.web import (  # noqa: F401  (each import registers its routes on bp)
    admin_agents,
    admin_audit,
    admin_customers,
    admin_queues,
    admin_schedules,
    admin_users,
    admin_webhooks,
)
from voice.web.admin_common import bp

__all__ = ["bp"]
