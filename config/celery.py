import os

from celery import Celery
from celery.signals import celeryd_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("sim_agent_watch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_init.connect
def patient_worker(conf=None, **kwargs):
    """A worker waits out a broker outage when it stores a task's result (up to about a minute).

    Web processes keep settings' single quick retry, so a page that queues a task answers within seconds
    when Redis is down; a worker has no one waiting on it and should not lose a finished task's result.
    """
    if conf is not None and getattr(conf, "result_backend_transport_options", None):
        conf.result_backend_transport_options = {"retry_policy": WORKER_RESULT_RETRY_POLICY}


WORKER_RESULT_RETRY_POLICY = {"max_retries": 20, "interval_start": 0, "interval_step": 1, "interval_max": 5}
