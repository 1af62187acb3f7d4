"""The agent softphone (``voice softphone``): a pjsua2 phone plus the service's screen pops.

``phone`` and ``calls`` hold everything pjsua2 (endpoint, account, the agent's call);
``service_client`` the HTTP side (login, contact, state, the event stream); ``console`` and
``keys`` the terminal; ``runner`` ties them together; ``errors`` says what to fix.
"""
