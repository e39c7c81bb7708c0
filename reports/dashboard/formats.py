"""Whole numbers grouped by thousands in the reader's language: the one function of core.numbers, which the
`count` template filter uses too (kept here as the name the dashboard's modules import)."""

from core.numbers import grouped

__all__ = ["grouped"]
