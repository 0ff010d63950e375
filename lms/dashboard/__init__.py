"""HR's dashboard (completion and overdue at a glance, with drill-down to the roster) and the
ESG training summary for the annual report. Every figure is an aggregate query."""
