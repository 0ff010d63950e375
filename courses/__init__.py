"""Courses, their immutable versions and modules, learner enrolments, progress and attestations."""
