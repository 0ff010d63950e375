"""Domain events. Packages higher up (certificates, compliance) react to a completed enrolment
without courses or quizzes importing them, which keeps imports pointing one way."""

from blinker import Namespace

_signals = Namespace()

enrollment_completed = _signals.signal("enrollment-completed")
"""Sent with the Enrollment as sender, inside the transaction that completed it."""
