"""Evidence packs: everything the records hold on one person's training, in a zip an auditor
can verify (every file's SHA-256 in ``manifest.json``), for one employee or a roster filter."""
