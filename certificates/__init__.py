"""Certificates: issuing with a snapshot, PDF rendering, verification codes, the verify page."""
