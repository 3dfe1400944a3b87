"""`ivr check` on lookups: files, columns, fields and variables a caller would trip over."""

from __future__ import annotations

from pathlib import Path

from ivr.lookup.policy import Connection, HostRule, SourcePolicy
from ivr.menu.lint import check_paths
from tests.conftest import ROOT

MENU = """menu: desk
languages: {en: {locale: en-US, voice: Polly.Joanna}}
start: ask
defaults: {fallback: bye}
sources:
  loans: {type: csv, file: data/loans.csv, key: card}
  api:
    type: http
    url: "https://api.example.org/orders/{id}"
    headers: {Authorization: "Bearer ${IVR_SOURCE_UNSET_TOKEN}"}
    fields: {status: state}
  spare: {type: sql, database: demo, query: "SELECT 1 AS one WHERE :id = :id"}
nodes:
  ask:
    type: lookup
    source: loans
    say: "Enter your card number."
    answer: "Due {due:date}, {title}."
    next: order
  order:
    type: lookup
    source: api
    identify: caller_id
    verify: {by: caller_id, field: phone}
    answer: "Your order is {status}."
    next: bye
  bye: {type: hangup}
"""


def test_lookup_problems_are_reported_with_their_lines(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "loans.csv").write_text("card,due\n20001234,2026-11-27\n")
    file = tmp_path / "desk.yaml"
    file.write_text(MENU)
    policy = SourcePolicy(hosts=(HostRule.parse("api.example.org"),),
                          connections={"demo": Connection("demo", "sqlite:///demo.db")})
    problems, checked = check_paths([file], None, policy)
    found = {(p.where.line, p.severity, p.message) for p in problems}
    assert checked == 1
    assert found == {
        (7, "warning", "source 'api' reads $IVR_SOURCE_UNSET_TOKEN, which is not set here: its "
                       "lookups will apologise and fall back"),
        (12, "warning", "source 'spare' is not used by any lookup"),
        (18, "error", "'ask' uses {title} but source 'loans' gives only card, due"),
        (20, "warning", "'order' identifies the caller by caller ID already; verify by "
                        "caller_id adds nothing"),
        (20, "error", "'order' uses {phone} but source 'api' gives only status"),
    }


def test_a_missing_csv_file_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "desk.yaml"
    file.write_text(MENU)
    problems, _ = check_paths([file], None)
    assert any(p.severity == "error" and p.where.line == 6 and "data/loans.csv not found"
               in p.message for p in problems)


def test_the_lookup_test_menu_is_clean() -> None:
    problems, _ = check_paths([ROOT / "tests" / "menus" / "lookup.yaml"], ROOT / "prompts")
    assert problems == []
