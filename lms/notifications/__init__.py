"""E-mail: the outbox (a row per message, written in the transaction that caused it), its
templates and the worker that delivers it with retries (``deliver_due``)."""
