"""Analytics: what the journeys say about how the help desk is doing."""
