"""Organisation settings: the facts that belong to one company (name, hotline, e-mails...)."""
