"""Periodic jobs: one registry (``registry.JOBS``), run by a separate process
(``flask --app lms scheduler run``) or by hand (``flask --app lms jobs run ID``). Each run takes a
lease in the database, so two scheduler processes never run a job at once or twice for one slot,
and is recorded as a ``JobRun``."""
