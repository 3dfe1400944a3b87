"""Reply templates: the texts agents start from, one per name and language, kept by admins."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import metadata
from ivr.engine.texts import MAX_BODY, segments

NAME = re.compile(r"^[\w][\w .,'()-]{0,79}$")
LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
MAX_TEMPLATES = 500

sms_templates = sa.Table(
    "sms_templates",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("lang", sa.String(16), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("updated_by", sa.Integer),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("name", "lang", name="uq_sms_templates_name_lang"),
)


class TemplateError(ValueError):
    """A template an admin wrote that cannot be kept; the message says why."""


@dataclass(frozen=True)
class Template:
    """One reply template in one language."""

    id: int
    name: str
    lang: str
    body: str

    @property
    def segments(self) -> int:
        """How many SMS segments the body takes."""
        return segments(self.body).count

    @property
    def encoding(self) -> str:
        """GSM-7 or UCS-2."""
        return segments(self.body).encoding


def check(name: str, lang: str, body: str) -> tuple[str, str, str]:
    """The cleaned (name, lang, body), or TemplateError saying what is wrong."""
    name, lang, body = name.strip(), lang.strip(), body.strip().replace("\r\n", "\n")
    if not NAME.match(name):
        raise TemplateError("A template name needs 1 to 80 letters, digits, spaces or . , ' ( ) -")
    if not LANG.match(lang):
        raise TemplateError("The language is a code such as en, fr or ro.")
    if not body:
        raise TemplateError("A template needs some text.")
    if len(body) > MAX_BODY:
        raise TemplateError(f"A text can have at most {MAX_BODY} characters.")
    return name, lang, body


class Templates:
    """The templates in the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def all(self) -> list[Template]:
        """Every template, by name then language."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(sms_templates)
                                .order_by(sms_templates.c.name, sms_templates.c.lang)).all()
        return [Template(r.id, r.name, r.lang, r.body) for r in rows]

    def get(self, template_id: int) -> Template | None:
        """One template by id."""
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(sms_templates).where(sms_templates.c.id == template_id)).first()
        return Template(r.id, r.name, r.lang, r.body) if r else None

    def body(self, name: str, lang: str) -> str | None:
        """The body of template ``name`` in ``lang``, if there is one."""
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(sms_templates.c.body).where(
                sms_templates.c.name == name, sms_templates.c.lang == lang)).scalar()
        return str(found) if found is not None else None

    def save(self, name: str, lang: str, body: str, user_id: int | None, now: datetime,
             template_id: int | None = None) -> int:
        """Add a template, or change one (``template_id``); TemplateError when it cannot be kept."""
        name, lang, body = check(name, lang, body)
        values: dict[str, Any] = {"name": name, "lang": lang, "body": body,
                                  "updated_by": user_id, "updated_at": now}
        with self.engine.begin() as conn:
            clash = conn.execute(sa.select(sms_templates.c.id).where(
                sms_templates.c.name == name, sms_templates.c.lang == lang)).scalar()
            if clash is not None and clash != template_id:
                raise TemplateError(f"There is already a {lang} template called {name}.")
            if template_id is None:
                count = conn.execute(sa.select(sa.func.count()).select_from(sms_templates)).scalar()
                if int(count or 0) >= MAX_TEMPLATES:
                    raise TemplateError(f"There can be at most {MAX_TEMPLATES} templates.")
                added = conn.execute(sa.insert(sms_templates).values(**values))
                return int((added.inserted_primary_key or (0,))[0])
            changed = conn.execute(sa.update(sms_templates)
                                   .where(sms_templates.c.id == template_id).values(**values))
            if not changed.rowcount:
                raise TemplateError("That template no longer exists.")
            return template_id

    def delete(self, template_id: int) -> bool:
        """Remove a template; False when there was none."""
        with self.engine.begin() as conn:
            return bool(conn.execute(sa.delete(sms_templates)
                                     .where(sms_templates.c.id == template_id)).rowcount)
