"""HR's views of compliance: who is overdue, and the follow-up kept on each case."""
