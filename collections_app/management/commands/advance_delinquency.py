"""python manage.py advance_delinquency [--as-of YYYY-MM-DD]

Runs the delinquency engine for a business date (default: today in TIME_ZONE). With a broker the
run fans out over the Celery workers and this command waits for its summary; without one (the
embedded default) it runs in this process. Idempotent per date; when a run for the date is already
running (or died midway) the command joins it: its chunks not done yet are done, then it finishes.
"""
import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from collections_app.models import DelinquencyRun
from collections_app.models.choices import RunStatus
from collections_app.selectors.loan_figures import business_date
from collections_app.services import nightly as service
from collections_app.tasks.delinquency import nightly_delinquency_run
from config.celery import app


class Command(BaseCommand):
    help = "Recompute DPD, buckets, cases and actions for a business date."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="Business date YYYY-MM-DD (default: today in TIME_ZONE).")
        parser.add_argument("--chunk-size", type=int, default=None, help="Borrowers per chunk.")
        parser.add_argument("--timeout", type=int, default=3600, help="Seconds to wait for the workers.")

    def handle(self, *args, **opts):
        try:
            as_of = dt.date.fromisoformat(opts["as_of"]) if opts["as_of"] else business_date()
        except ValueError as exc:
            raise CommandError(f"--as-of must be YYYY-MM-DD: {exc}") from exc
        started = time.monotonic()
        running = DelinquencyRun.objects.filter(as_of=as_of, status=RunStatus.RUNNING).first()
        if running:
            self.stdout.write(f"A run for {as_of} is already running (run {running.id}, {running.chunks_done} of "
                              f"{running.chunks_total} chunks done): joining it, its chunk sizes kept.")
        if app.conf.task_always_eager:
            run = service.run_delinquency(as_of=as_of, triggered_by="command", chunk_size=opts["chunk_size"])
        else:
            if opts["chunk_size"]:
                settings.DELINQUENCY_CHUNK_SIZE = opts["chunk_size"]
            run_id = nightly_delinquency_run(as_of.isoformat(), triggered_by="command")
            deadline = time.monotonic() + opts["timeout"]
            while True:
                run = DelinquencyRun.objects.get(id=run_id)
                if run.status != RunStatus.RUNNING:
                    break
                if time.monotonic() > deadline:
                    raise CommandError(f"Run {run_id} did not finish within {opts['timeout']} s "
                                       f"({run.chunks_done}/{run.chunks_total} chunks).")
                time.sleep(0.2)
        if run.status != RunStatus.DONE:
            raise CommandError(f"Run {run.id} for {as_of} failed: {run.message}")
        self.stdout.write(
            f"{as_of}: {run.loans_processed} loans processed, {run.bucket_changes} bucket changes, "
            f"{run.cases_opened} cases opened, {run.cases_closed} closed, {run.actions_created} actions, "
            f"{run.promises_broken} promises broken, {time.monotonic() - started:.2f} s"
        )
