"""The Twilio webhooks and the public pages: thin adapters around the engine."""
