"""The app's own database: the tables of calls and journeys, and the store that writes them."""
