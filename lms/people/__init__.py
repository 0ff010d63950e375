"""People and the org tree: employees, departments, locations, roles."""
