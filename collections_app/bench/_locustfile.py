"""Locust users of the web bench's ``web_mix`` step (collections_app/bench/_load.py writes the plan).

Collectors (20 for each supervisor) open their queue, open a case, log a contact (no answer) on it;
supervisors open the dashboard. Sessions come from the plan: no password is typed.
"""
import itertools
import json
import os
import random

from locust import HttpUser, between, task

with open(os.environ["BENCH_WEB_PLAN"], encoding="utf-8") as _fh:
    PLAN = json.load(_fh)
_collectors = itertools.cycle(PLAN["collectors"])
_supervisors = itertools.cycle(PLAN["supervisors"] or [None])


def _signed_in(response) -> None:
    """A request answered by the sign-in page (a session the server cannot read) is a failure."""
    if "/login/" in response.url or response.status_code >= 400:
        response.failure(f"{response.status_code} at {response.url}: not the page asked for")
    else:
        response.success()


class Collector(HttpUser):
    weight = 20
    wait_time = between(0.5, 2.0)

    def on_start(self):
        me = next(_collectors)
        self.cases = me["cases"]
        self.client.cookies.set(PLAN["cookie"], me["session"])
        with self.client.get("/queue/", name="/queue/", catch_response=True) as r:
            _signed_in(r)
        self.csrf = self.client.cookies.get("csrftoken", "")

    @task(4)
    def queue(self):
        with self.client.get("/queue/", name="/queue/", catch_response=True) as r:
            _signed_in(r)

    @task(4)
    def case(self):
        with self.client.get(f"/cases/{random.choice(self.cases)}/", name="/cases/<id>/", catch_response=True) as r:
            _signed_in(r)

    @task(1)
    def log_contact(self):
        case = random.choice(self.cases)
        with self.client.post(f"/cases/{case}/contact/", name="/cases/<id>/contact/", catch_response=True,
                              data={"channel": "phone", "contact_point": "", "outcome": "no_answer", "note": "bench"},
                              headers={"X-CSRFToken": self.client.cookies.get("csrftoken", ""), "HX-Request": "true",
                                       "Referer": f"{self.host}/cases/{case}/"}) as r:
            _signed_in(r)


class Supervisor(HttpUser):
    weight = 1
    wait_time = between(2.0, 5.0)

    def on_start(self):
        me = next(_supervisors)
        if me:
            self.client.cookies.set(PLAN["cookie"], me["session"])

    @task
    def dashboard(self):
        # the figures are computed by a Celery worker; until they are kept the page says so (and
        # reloads): those answers are counted under their own name
        with self.client.get("/supervisor/", name="/supervisor/", catch_response=True) as r:
            if 'id="dashboard-pending"' in (r.text or ""):
                r.request_meta["name"] = "/supervisor/ (computing)"
            _signed_in(r)
