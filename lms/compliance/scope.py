"""Limiting the compliance queries to some people (an HR import's changes, one leave)."""

from __future__ import annotations

import json
from collections.abc import Collection

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from lms.db import db


def among(column, ids: Collection[int]):
    """SQL condition: ``column`` is one of ``ids``. One parameter however many ids: an IN list
    takes one per id, and PostgreSQL refuses a statement with more than 65,535 (an import of
    250,000 new people). SQLite: the ids as a JSON array.

    PostgreSQL: ``IN (SELECT unnest(:ids))``, bound as an integer array: a semi-join that the
    planner hashes or drives by index whatever the plan. ``= ANY(:ids)`` is as fast with a
    custom plan, where the array is a constant the planner hashes; but with a generic plan (a
    statement prepared and run many times on one connection, as in a long-lived worker) it
    is not, and each row is compared with every id in turn (the same slowness as the array
    written as text and cast in SQL, which was tried: minutes instead of milliseconds)."""
    ids = sorted(set(ids))
    if db.session.get_bind().dialect.name == "postgresql":
        return column.in_(select(func.unnest(bindparam(None, ids, type_=ARRAY(Integer)))))
    values = func.json_each(json.dumps(ids)).table_valued("value")
    return column.in_(select(values.c.value))
