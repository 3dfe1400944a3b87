"""The agents' dashboard at /dashboard: log in, work through voicemails, note and close them.

The blueprint is ``ivr.dashboard.web.bp``; the tables are in ``ivr.dashboard.store``.
"""
