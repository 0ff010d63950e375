"""The org tree, in the database: a manager's subtree as one recursive CTE (never a query
per level or per person). UNION (not UNION ALL) makes a loop in bad HR data end the
recursion instead of running forever."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from lms.people.models import Employee


def subtree_ids(manager_id: int, direct_only: bool = False):
    """A SELECT of the ids of everyone below ``manager_id`` (direct reports only, if asked),
    not including the manager. Use as ``Employee.id.in_(subtree_ids(...))``."""
    if direct_only:
        return select(Employee.id).where(Employee.manager_id == manager_id)
    tree = (select(Employee.id).where(Employee.manager_id == manager_id)
            .cte("subtree", recursive=True))
    below = aliased(Employee)
    tree = tree.union(select(below.id).join(tree, below.manager_id == tree.c.id))
    return select(tree.c.id).where(tree.c.id != manager_id)


def manages_anyone(employee_id: int):
    """SQL condition: this person has at least one active direct report."""
    report = aliased(Employee)
    return exists().where(report.manager_id == employee_id, report.active.is_(True))


def in_subtree(manager_id: int, employee_id: int) -> bool:
    from lms.db import db

    return db.session.scalar(select(Employee.id).where(
        Employee.id == employee_id, Employee.id.in_(subtree_ids(manager_id)))) is not None


def would_loop(employee_id: int, manager_id: int | None) -> bool:
    """Would making ``manager_id`` this person's manager close a loop (someone managing
    themselves through any number of people)? One recursive query."""
    if manager_id is None:
        return False
    if manager_id == employee_id:
        return True
    return in_subtree(employee_id, manager_id)
