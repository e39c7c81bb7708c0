"""A staging worker process of imports.parallel. Nothing of Django is imported at the top: a process started
with 'spawn' imports this module to find `main` before Django is set up (`main` sets it up)."""

import os
import queue
import signal
import traceback

POLL_SECONDS = 1.0


class Orphaned(Exception):
    """The parent process is gone: stage nothing more (its job's progress will never count it)."""


def main(config: dict, tasks, results) -> None:
    """Take batches from `tasks` until None, put ("ok", index, summary) or ("error", index, text) in `results`.

    A worker that cannot start puts ("failed", None, traceback). An orphaned worker (its parent killed) stops."""
    # Ctrl-C reaches the whole process group: the parent stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        stager = _setup(config)
    except BaseException:
        results.put(("failed", None, traceback.format_exc()))
        return
    parent = config["parent"]
    while True:
        try:
            task = tasks.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if os.getppid() != parent:
                return
            continue
        if task is None:
            return
        try:
            results.put(("ok", task[0], stager.stage(task)))
        except Orphaned:
            return
        except Exception as exc:
            results.put(("error", task[0], str(exc) or type(exc).__name__))


def _setup(config: dict):
    """Django with the parent's settings module, database (under pytest: the test database), keys and language."""
    os.environ["DJANGO_SETTINGS_MODULE"] = config["settings_module"]
    from django.conf import settings

    for name, value in config["settings"].items():
        setattr(settings, name, value)
    import django

    django.setup()
    from django.utils import translation

    translation.activate(config["language"])
    from .parallel import Stager

    return Stager(config, orphaned=Orphaned)
