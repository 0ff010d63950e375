from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, utcnow

ROLES = ("hr", "trainer", "admin")
"""Roles that are granted. "employee" is everyone; "manager" is derived from having reports."""


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)

    employees: Mapped[list[Employee]] = relationship(back_populates="department")


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")

    employees: Mapped[list[Employee]] = relationship(back_populates="location")


class Employee(Base):
    __tablename__ = "employees"
    __table_args__ = (
        CheckConstraint("manager_id IS NULL OR manager_id <> id", name="not_own_manager"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_number: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    password_hash: Mapped[str | None] = mapped_column(String(255))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    job_title: Mapped[str | None] = mapped_column(String(200))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL"), index=True
    )
    hire_date: Mapped[date | None] = mapped_column(Date)
    leave_date: Mapped[date | None] = mapped_column(Date)
    # Indexed for the languages people have (a handful), read by walking the index.
    locale: Mapped[str] = mapped_column(String(16), default="en", index=True)
    gender: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Provisioning (SCIM): the HR system's own id for the person, and when it deleted them.
    # A deleted person is deactivated and kept for the record, but is gone for SCIM (404).
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    removed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    department: Mapped[Department | None] = relationship(back_populates="employees")
    location: Mapped[Location | None] = relationship(back_populates="employees")
    manager: Mapped[Employee | None] = relationship(
        back_populates="reports", remote_side="Employee.id"
    )
    reports: Mapped[list[Employee]] = relationship(back_populates="manager")
    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="employee", cascade="all, delete-orphan"
    )

    # Flask-Login protocol. get_id() returns the server-side session token set at sign-in or
    # load time, never the primary key, so that a session can be ended on the server.
    session_token = None
    # Whether they had an active direct report when signed in for this request (set by the
    # session loader with the same query); None when not loaded that way.
    manages_team = None
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def roles(self) -> set[str]:
        return {grant.role for grant in self.role_grants}

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def __repr__(self) -> str:
        return f"<Employee {self.employee_number}>"


class RoleGrant(Base):
    __tablename__ = "role_grants"
    __table_args__ = (CheckConstraint("role IN ('hr', 'trainer', 'admin')", name="known_role"),)

    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    employee: Mapped[Employee] = relationship(back_populates="role_grants")


class Leave(Base):
    """A leave of absence: while it runs the person's training clock stops (assignments are
    paused, no reminders, never overdue) and on return every due date moves by the days away.
    ``ends_on`` is the first day back; None while the return date is not known. The reason is
    for HR's eyes only (it may be medical), so it is never copied into assignment events."""

    __tablename__ = "leaves"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
        Index("ix_leaves_employee_starts", "employee_id", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)
