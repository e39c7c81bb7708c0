"""Benchmarks only (`make bench`'s wrk run, bench/wrk.py): the base settings with a URLconf that adds the bare
keyset view beside the app's URLs. Never used in production: config.urls stays the app's only URLconf there."""

from .base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
