"""enforcement.remediation: the subscriber remediation ladder (issue 16); see services.py."""
