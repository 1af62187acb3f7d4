"""The Twilio front end: Twilio's voice webhooks in, TwiML out (an adapter: it translates)."""
