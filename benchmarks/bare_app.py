"""The floor for the load benchmark: Flask answering constant TwiML, nothing else.

Served by the Procfile's gunicorn command with ``app:app`` replaced by
``benchmarks.bare_app:app``, so both servers pay the same HTTP, worker and
access-log costs and the difference is what a call step adds.
"""

from __future__ import annotations

from flask import Flask, Response

CONSTANT = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf speech" '
            'numDigits="1"><Say>Hello</Say></Gather><Redirect>/x</Redirect></Response>')

app = Flask("bare")


@app.post("/voice")
@app.post("/voice/step")
@app.post("/voice/status")
def answer() -> Response:
    """Constant TwiML for any webhook (the request body is not read)."""
    return Response(CONSTANT, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> Response:
    """Ready to serve."""
    return Response("ok\n", mimetype="text/plain")
