"""Forms of the inspections app, one module per audience (office, field, risk), like inspections.views."""
