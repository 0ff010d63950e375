"""My team: a manager's view of their reports' required training, reminders and export."""
