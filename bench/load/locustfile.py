"""The load scenario of issue 11, for locust (run by bench/load/run.py; `make load`).

Officers browse the lists (points, agents, registrations, flags), search registrations by phone number (a
POST, as the page does) and review flags; inspectors save checklist answers on their checked-in tasks.
The data the users need (phone numbers, open flags, tasks) is prepared by run.py into LOAD_DATA.
"""

import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

DATA = json.loads(Path(os.environ["LOAD_DATA"]).read_text(encoding="utf-8"))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class SignedIn(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    username = password = ""

    def on_start(self):
        page = self.client.get("/login/", name="login page")
        token = CSRF.search(page.text).group(1)
        self.client.post(
            "/login/",
            {"username": self.username, "password": self.password, "csrfmiddlewaretoken": token},
            name="sign in",
        )

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def post(self, url, data, name):
        return self.client.post(url, data, headers={"X-CSRFToken": self.csrf(), "Referer": self.host + url}, name=name)


class Officer(SignedIn):
    weight = 4
    username, password = "officer", "demo-officer-2026"

    @task(3)
    def points(self):
        self.client.get("/agents/points/", name="points list")

    @task(1)
    def agents(self):
        self.client.get("/agents/", name="agents list")

    @task(2)
    def registrations(self):
        self.client.get("/registrations/", name="registrations list")

    @task(3)
    def search(self):
        self.post("/registrations/", {"msisdn": random.choice(DATA["msisdns"])}, name="registration search")

    @task(2)
    def flags(self):
        self.client.get("/registrations/flags/", name="flag queue")

    @task(1)
    def review(self):
        if not DATA["flags"]:
            return
        pk = DATA["flags"].pop()
        self.post(
            f"/registrations/flags/{pk}/review/",
            {"to_status": "CONFIRMED", "reason": "Load test: confirmed after looking at the evidence."},
            name="flag review",
        )


class Inspector(SignedIn):
    weight = 1
    username, password = "inspector", "demo-inspector-2026"

    @task(1)
    def my_tasks(self):
        self.client.get("/inspections/my-tasks/", name="my tasks")

    @task(3)
    def answers(self):
        work = random.choice(DATA["tasks"])
        code = random.choice(work["codes"])
        self.client.post(
            f"/inspections/my-tasks/{work['task']}/answers/",
            json.dumps({"answers": {code: random.choice(["YES", "NO", "NA"])}}),
            headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf()},
            name="inspection answers",
        )
