"""python manage.py bench — the project's benchmark.

Each measured step prints one line: name, rows, seconds, rows/s, and the ratio against its
baseline measured in the same run; ``--json PATH`` also writes the contract's steps
(docs/performance.md) as a list of objects. Steps live in collections_app/bench/<area>.py as a function
``steps(ctx) -> Iterable[BenchResult]``; ``--only AREA`` runs one area.
"""
import importlib
import pkgutil

from django.core.management.base import BaseCommand

import collections_app.bench as bench_pkg
from collections_app.bench.common import BenchContext, write_json


class Command(BaseCommand):
    help = "Measure the heavy paths (imports, nightly run) against their baselines."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000, help="Rows (loans / payments) per step.")
        parser.add_argument("--only", action="append", help="Run only this area (module name); repeatable.")
        parser.add_argument("--workdir", default="", help="Where to write generated files (default: a temp dir).")
        parser.add_argument("--json", default="", help="Also write the steps as a JSON list to this path.")

    def handle(self, *args, **opts):
        ctx = BenchContext(rows=opts["rows"], workdir=opts["workdir"], out=self.stdout)
        areas = [name for _, name, _ in pkgutil.iter_modules(bench_pkg.__path__) if name != "common" and not name.startswith("_")]
        if opts["only"]:
            areas = [a for a in areas if a in opts["only"]]
        failed = False
        results = []
        try:
            for area in sorted(areas):
                module = importlib.import_module(f"collections_app.bench.{area}")
                for result in module.steps(ctx):
                    self.stdout.write(result.line())
                    results.append(result)
                    failed = failed or not result.ok
        finally:  # a step that raises still leaves the steps measured before it
            if opts["json"]:
                write_json(opts["json"], results)
        if failed:
            self.stdout.write(self.style.WARNING("some targets were not met"))
