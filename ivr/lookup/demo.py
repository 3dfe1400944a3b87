"""Demo data for the shop and library menus: orders and library loans, seeded idempotently.

The tables are created by migrations 0004 and 0015 and registered on the app's metadata
(``ivr.migrations.schema`` gathers every table); ``ivr demo seed`` (run by ``make run``) fills
them. Dates are relative to the day of seeding so the demo always sounds current.
The library stores a SHA-256 of each card's PIN, never the PIN. ``library_holds`` is
written by callers only (the library menu's ``place_hold`` action), one row per card
and book: the unique constraint makes a second request say "already on hold".
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import click
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import metadata

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("order_id", sa.String(20), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("placed_on", sa.Date, nullable=False),
    sa.Column("delivery_date", sa.Date),
    sa.Column("total", sa.Numeric(10, 2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("phone", sa.String(32)),
    sa.Column("postcode", sa.String(16)),
)

library_loans = sa.Table(
    "library_loans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("card_number", sa.String(20), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("pin_sha256", sa.String(71), nullable=False),
    sa.UniqueConstraint("card_number", "title", name="uq_library_loans_card_title"),
)


library_holds = sa.Table(
    "library_holds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("card_number", sa.String(20), nullable=False),
    sa.Column("item", sa.String(32), nullable=False),
    sa.Column("branch", sa.String(40), nullable=False),
    sa.Column("placed_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
    sa.UniqueConstraint("card_number", "item", name="uq_library_holds_card_item"),
)


def pin_hash(pin: str) -> str:
    """How the demo library keeps a PIN: ``sha256:<hex>`` (compared by the lookup node)."""
    return "sha256:" + hashlib.sha256(pin.encode()).hexdigest()


def demo_orders(today: date) -> list[dict[str, Any]]:
    """The demo shop's orders: one per status the shop menu knows."""
    def row(order_id: str, status: str, placed: int, delivery: int | None, total: str,
            currency: str, phone: str, postcode: str) -> dict[str, Any]:
        return {"order_id": order_id, "status": status,
                "placed_on": today - timedelta(days=placed),
                "delivery_date": today + timedelta(days=delivery) if delivery is not None else None,
                "total": Decimal(total), "currency": currency, "phone": phone,
                "postcode": postcode}

    return [
        row("100001", "shipped", 2, 2, "42.50", "EUR", "+15551230000", "75001"),
        row("100002", "delayed", 9, 6, "19.99", "EUR", "+33612345678", "69002"),
        row("100003", "delivered", 12, -3, "120.00", "RON", "+40721234567", "010011"),
        row("100004", "processing", 0, 5, "7.05", "EUR", "+447700900123", "10001"),
        row("100005", "cancelled", 4, None, "55.00", "USD", "+15551230001", "10002"),
    ]


def demo_loans(today: date) -> list[dict[str, Any]]:
    """Two library cards: one with two books out, one with an overdue book (PIN 1234)."""
    pin = pin_hash("1234")
    return [
        {"card_number": "20001234", "title": "The Little Prince",
         "due_date": today + timedelta(days=10), "pin_sha256": pin},
        {"card_number": "20001234", "title": "Ion", "due_date": today + timedelta(days=4),
         "pin_sha256": pin},
        {"card_number": "20005678", "title": "Les Misérables",
         "due_date": today - timedelta(days=2), "pin_sha256": pin},
    ]


def seed(engine: Engine, today: date | None = None) -> tuple[int, int]:
    """Insert or refresh the demo rows (running it twice changes nothing but the dates)."""
    today = today or date.today()
    order_rows, loan_rows = demo_orders(today), demo_loans(today)
    with engine.begin() as conn:
        for order in order_rows:
            done = conn.execute(orders.update().where(orders.c.order_id == order["order_id"])
                                .values(**order))
            if done.rowcount == 0:
                conn.execute(orders.insert().values(**order))
        for loan in loan_rows:
            where = sa.and_(library_loans.c.card_number == loan["card_number"],
                            library_loans.c.title == loan["title"])
            done = conn.execute(library_loans.update().where(where).values(**loan))
            if done.rowcount == 0:
                conn.execute(library_loans.insert().values(**loan))
    return len(order_rows), len(loan_rows)


@click.group("demo")
def demo_group() -> None:
    """Demo data for the example menus."""


@demo_group.command("seed")
def seed_command() -> None:
    """Fill the demo orders and library_loans tables (idempotent; run `ivr db upgrade` first)."""
    from dotenv import load_dotenv

    from ivr import config
    from ivr.config import database_url, env_settings, instance_dir
    from ivr.data.tables import make_engine

    load_dotenv(config.PROJECT_ROOT / ".env", override=False)  # as the app reads it
    url = database_url(env_settings()["DATABASE_URL"], instance_dir())
    engine = make_engine(url)
    try:
        missing = {"orders", "library_loans", "library_holds"} - \
            set(sa.inspect(engine).get_table_names())
        if missing:
            raise click.ClickException(f"table(s) {', '.join(sorted(missing))} missing: run "
                                       "`ivr db upgrade` first")
        n_orders, n_loans = seed(engine)
    finally:
        engine.dispose()
    click.echo(f"demo data ready: {n_orders} orders, {n_loans} library loans "
               f"({url.split('@')[-1]})")
