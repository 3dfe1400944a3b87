"""What /healthz and `ivr doctor` both need to know: token shape, schema revision."""

from __future__ import annotations

import functools
import re

from sqlalchemy.engine import Engine

_AUTH_TOKEN = re.compile(r"[0-9a-f]{32}")
_ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")


def plausible_auth_token(token: str) -> bool:
    """Twilio auth tokens are 32 lowercase hexadecimal characters (API key secrets are not,
    and cannot check webhook signatures)."""
    return bool(_AUTH_TOKEN.fullmatch(token))


def plausible_account_sid(sid: str) -> bool:
    """An account SID: AC and 32 hexadecimal characters."""
    return bool(_ACCOUNT_SID.fullmatch(sid))


@functools.cache
def head_revisions() -> frozenset[str]:
    """The latest migration(s) this code ships (read once per process)."""
    from alembic.script import ScriptDirectory

    from ivr.migrations import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def current_revisions(engine: Engine) -> frozenset[str]:
    """The migration(s) the database is at (empty for a database never migrated).

    Read straight from Alembic's table: its MigrationContext logs two lines per call,
    which would land in the logs at every health check.
    """
    import sqlalchemy as sa

    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return frozenset()
        rows = conn.execute(sa.text("SELECT version_num FROM alembic_version"))
        return frozenset(str(row[0]) for row in rows)


def schema_state(engine: Engine) -> str:
    """``head``, or what is wrong: ``behind (0003 < 0005)``, ``empty``, ``ahead``."""
    current, head = current_revisions(engine), head_revisions()
    if current == head:
        return "head"
    if not current:
        return "empty"
    label = f"{', '.join(sorted(current))} vs {', '.join(sorted(head))}"
    known = _known_revisions()
    return f"behind ({label})" if current <= known else f"ahead ({label})"


@functools.cache
def _known_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    from ivr.migrations import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(rev.revision for rev in script.walk_revisions())
