"""The call engine: a menu, a call's state and an event in; what to say and where to go out."""
