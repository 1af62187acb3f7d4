"""The automatic call distributor: agents and their states, queues, and who gets which caller.

``agents`` (add, change state, report a softphone contact), ``queues`` (configured queues and
their defaults), ``distributor`` (enqueue, position, estimated wait, atomic assignment),
``handoff`` (what happens once an agent is chosen: answered, ring-no-answer, call end,
callback) and ``reconcile`` (repairing states that outlived their calls). Pure rules live in
``strategies`` and ``estimate``; ``screenpop`` builds the payload agents' desktops and CRMs
receive.
"""
