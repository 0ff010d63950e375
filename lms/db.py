"""The one SQLAlchemy declarative base, the Flask-SQLAlchemy handle and time helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator, text
from sqlalchemy.orm import DeclarativeBase, Session, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timestamp that is always tz-aware UTC in Python, whatever the database keeps.

    SQLite has no time zone type, so values come back naive; we re-attach UTC on the way out
    and refuse naive values on the way in, so a local-time bug fails loudly instead of silently.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC timestamp column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime},
    )


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """The current time, tz-aware UTC (never naive)."""
    return datetime.now(UTC)


def today_utc() -> date:
    return utcnow().date()


def commit_if_read_only(session: Session) -> bool:
    """End the transaction with COMMIT when it has written nothing, so that its connection
    keeps its prepared statements: psycopg forgets every one of them on ROLLBACK (in case the
    rollback undid DDL they depend on), and most requests only read, so every page used to be
    planned afresh. PostgreSQL says whether the transaction wrote anything (it has a
    transaction id once it does, temporary tables and row locks included); for a transaction
    that did not, COMMIT and ROLLBACK are the same. Returns whether it committed; otherwise
    the caller's ROLLBACK follows as before."""
    if (not session.in_transaction() or session.new or session.dirty or session.deleted
            or session.get_bind().dialect.name != "postgresql"):
        return False
    connection = session.connection()
    if connection.exec_driver_sql("SELECT txid_current_if_assigned()").scalar() is not None:
        return False
    # What the request loaded stays readable after the session ends, as after a rollback: a
    # streamed response's generator still reads the signed-in person once the view returned.
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
    return True


def plan_each_statement() -> None:
    """For the rest of this transaction (PostgreSQL): plan every statement for its own values.
    A connection keeps its prepared statements (see ``commit_if_read_only``), and from a
    statement's sixth run PostgreSQL may use one generic plan for any values. That is what
    makes the everyday pages fast (their short statements spent most of their time being
    planned), but for a report grouping every assignment, planning costs nothing and a plan
    not made for the values can cost half again: the dashboard's groups at 25,000 employees
    took 125 ms on a generic plan against 82 ms. The HR, roster and dashboard blueprints call
    this before each request, and the job runner before each job (until its first commit);
    SET LOCAL ends with the transaction."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
