"""The enforcement app's models live in the sub-packages that own them (DESIGN section 8)."""
