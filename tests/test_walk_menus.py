"""Walk every path of every demo menu in every language through the real webhooks.

From the incoming call, every key, a spoken option, nonsense speech, silence and
every transfer outcome is tried at every point the call can reach. Every answer
must be valid TwiML, every <Gather> must be followed by a verb (or silence hangs
up), every reachable point must be able to reach the end of the call, and a
silent caller must reach the end within a bounded number of steps.

A point is the call's state in the callback URL and the caller's input, with one
exception: of the menus entered on the way ("p", what "back" follows) only the one
"back" leads to tells points apart. What the caller hears and where each input
leads depend on the rest of that list only once "back" has returned there, and
then the call is at a menu entered afresh, a point the walk reached when that menu
was first entered. Telling the whole list apart made the walk try every order in
which a caller can visit the main topics: 2.4 to 4.5 times as many requests, and
not one point that this walk does not reach.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from ivr.menu.loader import load_menu
from tests.conftest import ROOT, make_app, shutdown, upgraded
from tests.test_webhooks import post, twilio_params

MENU_FILES = sorted((ROOT / "menus").glob("*.yaml")) + [ROOT / "tests" / "menus" / "mini.yaml"]
KEYS = list("0123456789*#")
SILENT_STEPS_LIMIT = 40  # a silent caller is done within this many requests
END = ("END", "", ())


def _edges(verbs: list[ET.Element], problems: list[str], where: str) -> list[tuple[str, str, tuple]]:
    """The ways a call can continue after these verbs, as (label, url, params) triples."""
    for index, verb in enumerate(verbs):
        tag = verb.tag
        if tag in ("Say", "Play", "Pause"):
            if tag == "Say" and not (verb.text or "").strip():
                problems.append(f"{where}: an empty <Say>")
            continue
        if tag == "Gather":
            for child in verb:
                if child.tag not in ("Say", "Play", "Pause"):
                    problems.append(f"{where}: <{child.tag}> inside <Gather>")
            rest = verbs[index + 1:]
            if not rest:
                problems.append(f"{where}: <Gather> with no verb after it")
            action = verb.get("action") or ""
            out = [(f"key {k}", action, (("Digits", k),)) for k in KEYS]
            if "speech" in (verb.get("input") or ""):
                hints = [h.strip() for h in (verb.get("hints") or "").split(",") if h.strip()]
                for hint in hints[:2]:
                    out.append((f"say {hint}", action, (("SpeechResult", hint),
                                                       ("Confidence", "0.9"))))
                out.append(("say nonsense", action, (("SpeechResult", "purple elephant"),)))
            silent = _edges(rest, problems, where) if rest else [END]
            return out + [("silence", *edge[1:]) if edge != END else END for edge in silent]
        if tag == "Redirect":
            if urlsplit(verb.text or "").path == "/voice/queue/wait":  # the next wait round:
                # time passes for a caller who says nothing, up to the queue's maximum wait
                return [("redirect", verb.text or "", (("QueueTime", "100000"),))]
            return [("redirect", verb.text or "", ())]
        if tag == "Dial":
            action = verb.get("action")
            if not action:
                return [END]
            return [(f"dial {s}", action, (("DialCallStatus", s),))
                    for s in ("completed", "no-answer", "busy", "failed")]
        if tag == "Record":
            action = verb.get("action")
            if not verb.get("recordingStatusCallback"):
                problems.append(f"{where}: <Record> without a recordingStatusCallback")
            recorded = (("RecordingSid", "RE" + "5" * 32), ("RecordingDuration", "9"),
                        ("RecordingUrl", "https://api.twilio.com/r/RE" + "5" * 32))
            return [(f"record {end}", action, (*recorded, ("Digits", end)))
                    for end in ("#", "hangup")] if action else [END]
        if tag == "Enqueue":  # how the wait ends first (a silent caller hangs up), then waiting
            action, wait = verb.get("action") or "", verb.get("waitUrl") or ""
            if not action or not wait or not 0 < len(verb.text or "") <= 64:
                problems.append(f"{where}: <Enqueue> without action, waitUrl or a queue name")
            ends = [(f"queue {r}", action, (("QueueResult", r), ("QueueTime", "40")))
                    for r in ("hangup", "bridged", "leave", "queue-full", "error")]
            queued = (("QueuePosition", "2"), ("AvgQueueTime", "60"), ("CurrentQueueSize", "3"),
                      ("MaxQueueSize", "100"), ("QueueSid", "QU" + "1" * 32))
            return [*ends, ("queue wait", wait, (*queued, ("QueueTime", "30"))),
                    ("queue wait long", wait, (*queued, ("QueueTime", "100000")))]
        if tag in ("Hangup", "Leave"):  # <Leave> ends the wait: the Enqueue action goes on
            return [END]
        if tag in ("Start", "Stop"):  # a real-time transcription listening to a message
            nouns = list(verb)
            if [n.tag for n in nouns] != ["Transcription"] or not nouns[0].get("name"):
                problems.append(f"{where}: <{tag}> without one named <Transcription>")
            elif tag == "Start" and not (
                    (nouns[0].get("statusCallbackUrl") or "").startswith("http")
                    and index + 1 < len(verbs) and verbs[index + 1].tag == "Record"):
                problems.append(f"{where}: a <Start><Transcription> not right before a <Record>, "
                                "or without an absolute statusCallbackUrl")
            continue
        problems.append(f"{where}: unexpected <{tag}>")
    return [END]  # the document ran out: Twilio hangs up


CLOSED_TIME = datetime(2026, 12, 25, 12, 0, tzinfo=UTC)  # a holiday in every demo menu
OPEN_EVERYWHERE = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday late morning in Europe


@functools.lru_cache(maxsize=200_000)  # every edge names its point; most name one seen before
def point(url: str, extra: tuple) -> tuple:
    """What tells a point of the call apart: the callback and its state, except that of
    the menus entered on the way only the one "back" leads to counts, and the input."""
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    node = dict(params).get("n", "")
    entered = [p for key, value in params if key == "p" for p in value.split(".") if p]
    if entered and entered[-1] == node:
        entered.pop()
    back = entered[-1] if entered else ""
    return (parts.path, tuple((k, v) for k, v in params if k != "p"), back, extra)


def _walk(client: Any, base: dict[str, str]) -> tuple[dict[tuple, list[tuple]], set[str],
                                                       set[str], list[str]]:
    """Explore every reachable point of a call; returns (graph, nodes, locales, problems).

    The graph maps each point to its ways on: (label, point) pairs, or END."""
    problems: list[str] = []
    graph: dict[tuple, list[tuple]] = {}
    locales: set[str] = set()
    nodes_seen: set[str] = set()
    queue = deque([("call", "http://localhost/voice", ())])
    while queue:
        state = queue.popleft()
        if state == END:
            continue
        _, url, extra = state
        here = point(url, extra)
        if here in graph:
            continue
        # The engine's state is in the URL, so points need not share a call; a call of 20
        # points is as long as a long real call (one CallSid for the whole walk would make a
        # single journey of thousands of lines that every recording re-reads), and 20 times
        # fewer calls spare the journey writer its per-call work.
        call_sid = f"CA{len(graph) // 20:032x}"
        response = post(client, url, {**base, "CallSid": call_sid, **dict(extra)})
        where = f"{url} {dict(extra)}"
        assert response.status_code == 200, where
        assert response.mimetype == "text/xml", where
        root = ET.fromstring(response.get_data(as_text=True))
        assert root.tag == "Response", where
        locales.update(say.get("language") or "" for say in root.iter("Say"))
        for callback in [v.get("action") for tag in ("Gather", "Dial", "Record", "Enqueue")
                         for v in root.iter(tag)]:
            nodes_seen.update(parse_qs(urlsplit(callback or "").query).get("n", []))
        edges = _edges(list(root), problems, where)
        ways = [END if e == END else (e[0], point(*e[1:])) for e in edges]
        graph[here] = ways
        queue.extend(e for e, way in zip(edges, ways, strict=True)
                     if e != END and way[1] not in graph)
        # A guard, not a measure: the demo shop has about 10,000 points open, since speech
        # that nothing answers hears the main topics (each a keyed choice) from every node.
        assert len(graph) < 30000, "the walk does not converge"
    return graph, nodes_seen, locales, problems




@pytest.mark.parametrize("menu_file", MENU_FILES, ids=lambda p: p.stem)
def test_every_path_of_every_menu(menu_file: Path, tmp_path: Path, clock: Any) -> None:
    menu = load_menu(menu_file)
    app = make_app(upgraded(f"sqlite:///{tmp_path / 'walk.sqlite3'}"), tmp_path, clock,
                   IVR_MENUS_DIR=str(menu_file.parent), IVR_SMS_FROM="+15005550006")
    client = app.test_client()
    called = menu.numbers[0] if menu.numbers else "+15005550001"
    # A caller on a mobile, with texts on: "text me this" answers are walked as sent.
    base = twilio_params(To=called, Called=called, From="+33612345678", Caller="+33612345678")
    nodes_seen: set[str] = set()
    for moment in (OPEN_EVERYWHERE, CLOSED_TIME):
        clock.now = moment
        graph, seen, locales, problems = _walk(client, base)
        nodes_seen |= seen
        assert not problems, "\n".join(problems[:20])
        # Every language of the menu is spoken.
        assert {lang.locale for lang in menu.languages.values()} <= locales
        _assert_every_point_can_end(graph)
    # Every node that waits for the caller (or dials) was reached, open or closed.
    waiting = {n for n, node in menu.nodes.items() if node.kind not in ("hours", "hangup")}
    assert waiting <= nodes_seen, sorted(waiting - nodes_seen)
    shutdown(app)


def _assert_every_point_can_end(graph: dict[tuple, list[tuple]]) -> None:
    """Every point can reach the end; a silent caller gets there in bounded steps."""
    came_from: dict[tuple, list[tuple]] = {}
    for state, edges in graph.items():
        for edge in edges:
            if edge != END:
                came_from.setdefault(edge[1], []).append(state)
    can_end = {s for s, edges in graph.items() if END in edges}
    reached = deque(can_end)
    while reached:
        for state in came_from.get(reached.popleft(), ()):
            if state not in can_end:
                can_end.add(state)
                reached.append(state)
    stuck = [s for s in graph if s not in can_end]
    assert not stuck, f"{len(stuck)} points can never end the call, e.g. {stuck[:3]}"
    for state in graph:
        current, steps = state, 0
        while current != END:
            edges = graph[current]
            quiet = [e for e in edges if e == END or e[0] in ("silence", "redirect")]
            edge = quiet[0] if quiet else next(
                (e for e in edges if e[0] == "dial no-answer"), edges[0])
            current = END if edge == END else edge[1]
            steps += 1
            assert steps <= SILENT_STEPS_LIMIT, f"silence never ends the call from {state}"
