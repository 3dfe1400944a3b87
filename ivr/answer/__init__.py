"""Answering callers after the call: callback requests and calls placed by agents, texts.

Adapters around the engine: they use the database and Twilio's REST API, and are driven
by the dashboard, the worker and Twilio's status callbacks.
"""
