"""CI: the benchmark's --json output holds every step of the contract with every key (docs/performance.md).

Targets are not checked here (CI runs at 10,000 rows); a step that is missing, or a key, fails.
"""
import json
import sys

STEPS = ["import_loans", "import_loans_again", "import_payments", "nightly", "first_run", "nightly_2_workers",
         "queue_page", "case_page", "dashboard", "dashboard_panels", "reconciliation", "allocation", "web_mix"]
KEYS = {"step", "rows", "seconds", "baseline", "baseline_seconds", "ratio", "peak_mb", "p95_ms", "rate", "unit"}


def main(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        steps = json.load(fh)
    found = {s["step"]: s for s in steps}
    missing = [name for name in STEPS if name not in found]
    bad = [s["step"] for s in steps if not KEYS <= set(s)]
    for s in steps:
        print(f"{s['step']}: {s['rows']} {s['unit']} in {s['seconds']:.2f} s, ratio {s['ratio']}, "
              f"p95 {s['p95_ms']} ms, rate {s['rate']}")
    if missing or bad:
        print(f"missing steps: {missing}; steps without every key: {bad}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
