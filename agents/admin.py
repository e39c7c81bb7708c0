"""The admin sees agents' sub-packages' models through their own admin modules."""

from .blacklist import admin as blacklist_admin  # noqa: F401  (registers its models)
