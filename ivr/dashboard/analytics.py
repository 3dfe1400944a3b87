"""How the help desk is doing: the overview (everyone), drop-off, destinations and the words
the menu did not understand (admins), each table also as CSV.

Figures come from ivr.analytics (rollups kept as journeys are written); dates are days
in the menu's time zone. No page shows a caller's number, and every text cell of a page
or an export goes through the phone-number mask.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from ivr.analytics import report
from ivr.analytics.phrases import MAX_PHRASE, PhraseError, add_phrase
from ivr.analytics.retention import MAX_DAYS, MIN_DAYS, set_utterance_days, utterance_days
from ivr.analytics.suggest import destinations as phrase_destinations
from ivr.analytics.suggest import lands, place_name, suggest
from ivr.analytics.wording import Group, group, missed
from ivr.dashboard import charts, outline
from ivr.dashboard.auth import admin_required
from ivr.dashboard.desk import desk, now
from ivr.dashboard.times import viewer_zone
from ivr.menu.loader import MenuError
from ivr.menu.model import Menu
from ivr.ops.logs import mask_phone_numbers
from ivr.speech.normalize import fold

bp = Blueprint("analytics", __name__, url_prefix="/analytics")
DEFAULT_DAYS = 7
SERVICE_SECONDS = 60  # a queue's service level: the share answered within this (?within=N)
GRAPHVIZ_CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data:; "
                "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


def _menus() -> dict[str, Menu]:
    menus: dict[str, Menu] = current_app.extensions["ivr"].catalog.menus
    return menus


def _period(require_menu: bool = False) -> report.Period:
    """The page's menu and dates from the query string (default: the last 7 days)."""
    menus = _menus()
    menu_id = request.args.get("menu") or None
    if menu_id is not None and menu_id not in menus:
        abort(404, f"There is no menu {menu_id}.")
    if menu_id is None and require_menu and menus:
        menu_id = next((m.id for m in menus.values() if m.is_default), next(iter(menus)))
    zone = viewer_zone()  # quarter-hour rollups: days and hours in any zone add up
    today = now().astimezone(zone).date()
    try:
        end = report.parse_day(request.args["to"]) if request.args.get("to") else today
        start = (report.parse_day(request.args["from"]) if request.args.get("from")
                 else end - timedelta(days=DEFAULT_DAYS - 1))
        simulated = request.args.get("simulated") == "1" and g.user["role"] == "admin"
        return report.Period(start, end, zone, menu_id, simulated)
    except report.RangeError as exc:
        abort(400, str(exc))


def _args(period: report.Period, **extra: Any) -> dict[str, Any]:
    """The query string of ``period`` (for links between the pages)."""
    out: dict[str, Any] = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if period.menu:
        out["menu"] = period.menu
    if period.simulated:
        out["simulated"] = "1"
    return {**out, **extra}


def _csv(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> BaseResponse:
    """A table as a CSV download (text cells masked: no caller's number leaves the desk)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(c) for c in row])
    response = make_response(buffer.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _cell(value: Any) -> Any:
    """A CSV cell: numbers masked in text, and text a spreadsheet would run as a formula quoted."""
    if not isinstance(value, str):
        return value
    value = mask_phone_numbers(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _render(template: str, period: report.Period, current: str, **values: Any) -> str:
    return render_template(template, period=period, current=current, menus=_menus(),
                           args=_args(period), **values)


@bp.get("/")
def overview() -> Any:
    """Calls, containment, transfers, voicemails, callbacks, abandoned calls, length, languages."""
    period = _period()
    figures = report.overview(desk().calls.engine, period)
    table = request.args.get("csv")
    if table:
        return _overview_csv(figures, table)
    days = list(figures.by_day.items())
    every = max(1, len(days) // 10)
    day_chart = charts.columns([charts.Bar(d.strftime("%m-%d"), t.calls, t.contained)
                                for d, t in days], "Calls per day", every=every)
    hour_chart = charts.columns([charts.Bar(f"{h:02d}", n) for h, n in enumerate(figures.by_hour)],
                                "Calls by hour of day", every=3)
    total = figures.total
    outcomes = _outcomes(figures)
    outcome_chart = charts.rows([charts.Bar(label, value) for label, value in outcomes],
                                "What became of the calls", percent_of=total.calls or None)
    languages = figures.by_language.most_common()
    language_chart = charts.rows([charts.Bar(lang, n) for lang, n in languages],
                                 "Calls by language", percent_of=total.calls or None)
    inputs_chart = charts.rows([charts.Bar("keys", figures.keys), charts.Bar("voice", figures.spoken)],
                               "Inputs by key and by voice",
                               percent_of=(figures.keys + figures.spoken) or None)
    from ivr.online.activity import counts

    _online_written()
    channels = counts(desk().calls.engine, *period.bounds, period.menu)
    return _render("dashboard/analytics_overview.html", period, "overview", figures=figures,
                   channels=channels,
                   days=days, outcomes=outcomes, languages=languages, day_chart=day_chart,
                   hour_chart=hour_chart, outcome_chart=outcome_chart,
                   language_chart=language_chart, inputs_chart=inputs_chart,
                   queues=_queue_figures(period))


def _online_written() -> None:
    """This worker's latest online questions in the database (written in batches)."""
    online = current_app.extensions.get("online")
    if online is not None:
        online.writer.flush()


def _queue_figures(period: report.Period) -> dict[str, Any]:
    """Queues over the period: answered, abandoned, time in queue, service level."""
    try:
        within = max(5, min(3600, int(request.args.get("within") or SERVICE_SECONDS)))
    except ValueError:
        within = SERVICE_SECONDS
    start = datetime.combine(period.start, time(0), period.zone)
    end = datetime.combine(period.end + timedelta(days=1), time(0), period.zone)
    found: dict[str, Any] = current_app.extensions["ivr"].queues.figures(start, end, period.menu,
                                                                       within)
    return found


def _outcomes(figures: report.Overview) -> list[tuple[str, int]]:
    total = figures.total
    return [("contained", total.contained),
            ("transferred, answered", total.transfers_answered),
            ("transferred, not answered", total.transferred - total.transfers_answered),
            ("voicemail", total.voicemails), ("callback", total.callbacks),
            ("abandoned", total.abandoned)]


def _overview_csv(figures: report.Overview, table: str) -> BaseResponse:
    if table == "days":
        return _csv("calls-per-day", ["day", "calls", "contained", "transferred",
                                      "transfers_answered", "voicemails", "callbacks", "abandoned"],
                    [(d.isoformat(), t.calls, t.contained, t.transferred, t.transfers_answered,
                      t.voicemails, t.callbacks, t.abandoned) for d, t in figures.by_day.items()])
    if table == "hours":
        return _csv("calls-per-hour", ["hour", "calls"], enumerate(figures.by_hour))
    if table == "outcomes":
        return _csv("outcomes", ["outcome", "calls"], _outcomes(figures))
    if table == "languages":
        return _csv("languages", ["language", "calls"], figures.by_language.most_common())
    if table == "menus":
        return _csv("menus", ["menu", "calls", "contained", "transferred", "voicemails",
                              "callbacks", "abandoned"],
                    [(m, t.calls, t.contained, t.transferred, t.voicemails, t.callbacks,
                      t.abandoned) for m, t in sorted(figures.by_menu.items())])
    abort(404, f"There is no table {table}.")


@bp.get("/dropoff")
@admin_required
def dropoff() -> Any:
    """The menu's diagram with visits, hang-ups and the share of callers on each edge."""
    period = _period(require_menu=True)
    drop = report.dropoff(desk().calls.engine, period)
    table = request.args.get("csv")
    if table == "nodes":
        return _csv("dropoff-nodes", ["node", "kind", "calls", "visits", "hung_up_here",
                                      "hang_up_share"],
                    [(n.node, n.kind, n.calls, n.visits, n.ended_here, round(n.drop_rate, 4))
                     for n in sorted(drop.nodes.values(), key=lambda n: -n.calls)])
    if table == "edges":
        return _csv("dropoff-edges", ["from", "to", "calls", "share_of_from"],
                    [(a, b, n, round(drop.edge_share(a, b), 4))
                     for (a, b), n in sorted(drop.edges.items(), key=lambda kv: -kv[1])])
    if table:
        abort(404, f"There is no table {table}.")
    menu = _menus().get(period.menu or "")
    picture = None
    if menu is not None:
        tree = outline.build(menu, [])
        picture = outline.dot(tree, traffic=drop)
    page = make_response(_render("dashboard/analytics_dropoff.html", period, "dropoff",
                                 drop=drop, worst=drop.worst(8), picture=picture, menu=menu))
    page.headers["Content-Security-Policy"] = GRAPHVIZ_CSP  # the diagram's WebAssembly
    return page


@bp.get("/destinations")
@admin_required
def destinations() -> Any:
    """Where callers went, and how their lookups turned out."""
    period = _period()
    engine = desk().calls.engine
    drop = report.dropoff(engine, period)
    figures = report.overview(engine, period)
    top = report.destinations(drop)
    looked = report.lookups(drop)
    outcomes = [("found", figures.lookups_found), ("not found", figures.lookups_not_found),
                ("source down", figures.lookups_failed)]
    table = request.args.get("csv")
    if table == "destinations":
        return _csv("destinations", ["node", "kind", "calls"],
                    [(n.node, n.kind, n.calls) for n in top])
    if table == "lookups":
        return _csv("lookups", ["node", "kind", "calls"], [(n.node, n.kind, n.calls) for n in looked])
    if table == "lookup-outcomes":
        return _csv("lookup-outcomes", ["outcome", "lookups"], outcomes)
    if table:
        abort(404, f"There is no table {table}.")
    chart = charts.rows([charts.Bar(n.node, n.calls) for n in top[:10]], "Top destinations")
    outcome_chart = charts.rows([charts.Bar(k, v) for k, v in outcomes], "Lookup outcomes",
                                percent_of=sum(v for _, v in outcomes) or None)
    return _render("dashboard/analytics_destinations.html", period, "destinations", top=top,
                   looked=looked, outcomes=outcomes, chart=chart, outcome_chart=outcome_chart)


@bp.get("/not-understood")
@admin_required
def not_understood() -> Any:
    """What callers said that the menu did not understand, grouped, each with the
    destinations the matcher suggests for it (labels, the likeliest first) to accept."""
    period = _period(require_menu=True)
    engine = desk().calls.engine
    _online_written()
    groups = group(missed(report.spoken_steps(engine, period)))
    table = request.args.get("csv")
    if table == "groups":
        return _csv("not-understood", ["wording", "count", "languages", "nodes", "reasons",
                                       "candidates", "other_wordings"],
                    [(g.wording, g.count, _counts(g.languages), _counts(g.nodes),
                      _counts(g.reasons),
                      " ".join(f"{t}={s:.2f}x{n}" for t, n, s in g.candidates),
                      " | ".join(w for w, _ in g.wordings.most_common(6) if w != g.wording))
                     for g in groups])
    if table:
        abort(404, f"There is no table {table}.")
    menu = _menus().get(period.menu or "")
    rows = _rows(menu, groups)
    return _render("dashboard/analytics_words.html", period, "words", rows=rows,
                   max_accept=MAX_ACCEPT, max_phrase=MAX_PHRASE,
                   days=utterance_days(engine), min_days=MIN_DAYS, max_days=MAX_DAYS)


# At most this many wordings are accepted in one go (the page lists at most as many groups).
MAX_ACCEPT = 100


@dataclass(frozen=True)
class Row:
    """One group of wordings on the page, with where it was said and what to suggest."""

    grp: Group
    lang: str
    at: str  # the node where it was said most
    at_name: str
    places: list[tuple[str, int]]  # (where it was said, by name; times)
    suggested: list[tuple[str, str, int]]  # (node, label, callers who chose it), likeliest first
    others: list[tuple[str, str]]  # every other destination, by label


def _rows(menu: Menu | None, groups: Sequence[Group]) -> list[Row]:
    if menu is None:
        return []
    rows = []
    for grp in groups:
        lang = grp.lang if grp.lang in menu.languages else menu.default_language
        at = grp.node if grp.node in menu.nodes else menu.main
        names = dict(phrase_destinations(menu, lang))
        picks = suggest(menu, at, lang, grp.wording, [t for t, _, _ in grp.candidates],
                        chosen=[t for t, _ in grp.chosen.most_common()])
        suggested = [(t, names[t], grp.chosen.get(t, 0)) for t in picks]
        others = [(t, n) for t, n in names.items() if t not in picks]
        places = [(place_name(menu, n, lang), count) for n, count in grp.nodes.most_common(3)]
        rows.append(Row(grp, lang, at, place_name(menu, at, lang), places, suggested, others))
    return rows


def _counts(counter: Any) -> str:
    return ", ".join(f"{k} {v}" for k, v in counter.most_common())


def _file_of(menu: Menu) -> str:
    return menu.file.replace("\\", "/").rsplit("/", 1)[-1]


def _draft_base(file: str) -> str:
    """The text new phrases go into: the file's draft, else a new draft of the live text."""
    store = current_app.extensions["ivr"].versions
    if file not in store.files():
        abort(404, f"There is no menu file {file}.")
    draft, live = store.draft(file), store.live(file)
    return draft.text if draft is not None else (live.text if live is not None else "")


def _back(menu: Menu) -> str:
    dates: dict[str, Any] = {k: request.form[k] for k in ("from", "to") if request.form.get(k)}
    return url_for("dashboard.analytics.not_understood", menu=menu.id, **dates)


def _wording(text: str) -> str:
    """A wording as a phrase: no control or format characters, spaces tidied."""
    return " ".join("".join(c if unicodedata.category(c)[0] != "C" else " "
                            for c in text[:MAX_PHRASE * 4]).split())


@dataclass(frozen=True)
class Wanted:
    """A wording an admin accepted: said at ``at`` in ``lang``, to become a phrase of ``go``."""

    wording: str
    lang: str
    at: str
    go: str


def _add_all(base: str, menu: Menu, wanted: Sequence[Wanted]) -> tuple[str, list[Wanted],
                                                                    list[str]]:
    """``base`` with every wanted phrase added; what was added, and what was left out (why)."""
    text, added, left = base, [], []
    seen: set[tuple[str, str]] = set()
    current = {(n.id, lang): {fold(p) for p in n.own_phrases(lang)}
               for n in menu.nodes.values() for lang in menu.languages}
    for want in wanted:
        said = fold(want.wording)
        if (want.lang, said) in seen:
            left.append(f"\u201c{want.wording}\u201d (accepted twice)")
            continue
        seen.add((want.lang, said))
        if said in current.get((want.go, want.lang), set()):
            left.append(f"\u201c{want.wording}\u201d (already a phrase there)")
            continue
        try:
            text = add_phrase(text, want.go, want.lang, want.wording)
        except PhraseError as exc:
            left.append(f"\u201c{want.wording}\u201d ({exc}; add it in the editor)")
            continue
        added.append(want)
    return text, added, left


@bp.post("/accept")
@admin_required
def accept() -> BaseResponse:
    """Add the ticked wordings as phrases of their chosen destinations, all in one draft
    of the menu (never the live version), then show the draft's diff to check and publish."""
    menu = _menus().get(request.form.get("menu", ""))
    if menu is None:
        abort(404, "There is no such menu.")
    picked = request.form.getlist("accept")
    if len(picked) > MAX_ACCEPT or len(set(picked)) != len(picked):
        abort(400, f"Accept at most {MAX_ACCEPT} wordings at once, each once.")
    wanted: list[Wanted] = []
    unchosen: list[str] = []
    for row in picked:
        if not row.isdigit() or len(row) > 4:
            abort(400, "An accepted row is a number.")
        wording = _wording(request.form.get(f"wording-{row}", ""))
        lang, at = request.form.get(f"lang-{row}", ""), request.form.get(f"at-{row}", "")
        go = request.form.get(f"go-{row}", "")
        if len(wording) > MAX_PHRASE:
            abort(400, f"A phrase has at most {MAX_PHRASE} characters.")
        if lang not in menu.languages or at not in menu.nodes or \
                (go and go not in dict(phrase_destinations(menu, lang))):
            abort(400, "Each wording needs one of the menu's languages and destinations.")
        if wording and go:
            wanted.append(Wanted(wording, lang, at, go))
        elif wording:
            unchosen.append(f"\u201c{wording}\u201d (no destination chosen)")
    back = _back(menu)
    if not wanted:
        flash("Tick the wordings to accept, each with its destination, first.", "error")
        return redirect(back)
    store = current_app.extensions["ivr"].versions
    file = _file_of(menu)
    base = _draft_base(file)
    try:
        before = store.menu_of(file, base)
    except MenuError as exc:  # a draft saved with errors: the editor first
        flash(f"The draft of {file} has errors ({exc}): fix it in the editor first.", "error")
        return redirect(back)
    text, added, left = _add_all(base, before, wanted)
    left = unchosen + left
    try:
        changed = store.menu_of(file, text) if added else None
    except MenuError:  # one wording breaks the menu: keep each one that does not
        text, kept = base, list[Wanted]()
        for want in added:
            try:
                trial = add_phrase(text, want.go, want.lang, want.wording)
                store.menu_of(file, trial)
            except (PhraseError, MenuError):
                left.append(f"\u201c{want.wording}\u201d (the menu would not load with it)")
                continue
            text, kept = trial, [*kept, want]
        added = kept
        changed = store.menu_of(file, text) if added else None
    if changed is None:
        flash("Nothing was added: " + "; ".join(left) + ".", "error")
        return redirect(back)
    misplaced = [w for w in added if changed.nodes.get(w.go) is None or fold(w.wording) not in
                 {fold(p) for p in changed.nodes[w.go].own_phrases(w.lang)}]
    if misplaced:  # the text is written in a way the page cannot edit safely: nothing saved
        flash(f"The phrases could not be added here (\u201c{misplaced[0].wording}\u201d); add them "
              "in the editor.", "error")
        return redirect(back)
    store.save_draft(file, text, str(g.user["username"]))
    missing = [w for w in added if lands(changed, w.at, w.lang, w.wording) != w.go]
    note = (f"{len(added)} wording{'s' if len(added) != 1 else ''} added to the draft of {file}"
            f"; {len(added) - len(missing)} now lead where chosen")
    if missing:
        note += (" (still not: " + ", ".join(f"\u201c{w.wording}\u201d" for w in missing[:5])
                 + ("..." if len(missing) > 5 else "") + ")")
    if left:
        note += "; left out: " + "; ".join(left[:5]) + ("..." if len(left) > 5 else "")
    flash(note + ". Check the change below, then publish it from the editor.")
    return redirect(url_for("dashboard.menus.diff_draft", file=file))


@bp.post("/phrase")
@admin_required
def add_wording() -> BaseResponse:
    """Add one wording as a phrase of a destination: a draft of the menu, shown as its diff."""
    menus = _menus()
    menu = menus.get(request.form.get("menu", ""))
    if menu is None:
        abort(404, "There is no such menu.")
    node_id, lang = request.form.get("node", ""), request.form.get("lang", "")
    wording = _wording(request.form.get("wording", ""))
    if lang not in menu.languages:
        abort(400, "A phrase needs a node of this menu, one of its languages and a wording.")
    targets = dict(phrase_destinations(menu, lang))
    if node_id not in targets or not wording:
        abort(400, "A phrase needs a node of this menu, one of its languages and a wording.")
    store = current_app.extensions["ivr"].versions
    file = _file_of(menu)
    base = _draft_base(file)
    back = _back(menu)
    try:
        text = add_phrase(base, node_id, lang, wording)
        changed = store.menu_of(file, text)
    except (PhraseError, MenuError) as exc:
        flash(f"The phrase could not be added here: {exc}. Add it in the editor.", "error")
        return redirect(back)
    node = changed.nodes.get(node_id)
    if node is None or fold(wording) not in {fold(p) for p in node.own_phrases(lang)}:
        flash("The phrase could not be added here; add it in the editor.", "error")
        return redirect(back)
    store.save_draft(file, text, str(g.user["username"]))
    flash(f"\u201c{wording}\u201d added to {targets[node_id]} ({lang}) in the draft of {file}: check the "
          "change below, then publish it from the editor.")
    return redirect(url_for("dashboard.menus.diff_draft", file=file))


@bp.post("/retention")
@admin_required
def retention() -> BaseResponse:
    """How many days callers' words are kept before the worker removes them."""
    try:
        days = int(request.form.get("days", ""))
        set_utterance_days(desk().calls.engine, days)
    except ValueError:
        abort(400, f"Keep callers' words {MIN_DAYS} to {MAX_DAYS} days.")
    flash(f"Callers' words are now kept {days} days.")
    return redirect(url_for("dashboard.analytics.not_understood",
                            menu=request.form.get("menu") or None))

