"""Background work: the task queue (Huey) and the durable jobs it carries out."""
