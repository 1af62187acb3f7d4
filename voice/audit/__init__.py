"""The audit log: who changed what (flows, queues, users, agents, schedules, webhooks,
customers), when and through which door (web page, API or CLI)."""
