"""Queues of callers waiting for agents: who waits, why they left, which agents are available."""
