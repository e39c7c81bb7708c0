"""enforcement: acting on what the rules find (issue 16), one sub-package per subject (DESIGN section 8).

Sits between reports and inspections: it reads flags (registrations) and sanctions (inspections), and the
reports app shows its figures on the dashboard and in the monthly report.
"""
