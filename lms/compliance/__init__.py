"""Compliance: who must take which course by when (assignments), and My training."""
