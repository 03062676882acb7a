"""python manage.py bench — the project's benchmark.

Each measured step prints one line: name, rows, seconds, rows/s, and the ratio against its
baseline measured in the same run. Steps live in collections_app/bench/<area>.py as a function
``steps(ctx) -> Iterable[BenchResult]``; ``--only AREA`` runs one area.
"""
import importlib
import pkgutil

from django.core.management.base import BaseCommand

import collections_app.bench as bench_pkg
from collections_app.bench.common import BenchContext


class Command(BaseCommand):
    help = "Measure the heavy paths (imports, nightly run) against their baselines."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000, help="Rows (loans / payments) per step.")
        parser.add_argument("--only", action="append", help="Run only this area (module name); repeatable.")
        parser.add_argument("--workdir", default="", help="Where to write generated files (default: a temp dir).")

    def handle(self, *args, **opts):
        ctx = BenchContext(rows=opts["rows"], workdir=opts["workdir"], out=self.stdout)
        areas = [name for _, name, _ in pkgutil.iter_modules(bench_pkg.__path__) if name != "common"]
        if opts["only"]:
            areas = [a for a in areas if a in opts["only"]]
        failed = False
        for area in sorted(areas):
            module = importlib.import_module(f"collections_app.bench.{area}")
            for result in module.steps(ctx):
                self.stdout.write(result.line())
                failed = failed or not result.ok
        if failed:
            self.stdout.write(self.style.WARNING("some targets were not met"))
