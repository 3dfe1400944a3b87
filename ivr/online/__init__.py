"""The help desk online: the menus' answers as public web pages and as text conversations.

The same menu definition drives a call, a help page and a text conversation: a question
typed on the page or texted is routed by the engine's own understanding of a spoken
request (``ivr.nodes.routing``), and the answer shown is the text the phone speaks.
``answers`` is pure (menu in, plain values out); ``pages`` and ``sms`` are its Flask
adapters; ``conversations`` keeps a texter's place for 30 minutes.
"""
