import dataclasses
import json
import os
import resource
import tempfile


@dataclasses.dataclass
class BenchContext:
    rows: int
    workdir: str
    out: object

    def __post_init__(self):
        if not self.workdir:
            self.workdir = tempfile.mkdtemp(prefix="bench-")
        os.makedirs(self.workdir, exist_ok=True)


@dataclasses.dataclass
class BenchResult:
    name: str
    rows: int
    seconds: float
    baseline_name: str = ""
    baseline_seconds: float | None = None
    max_ratio: float | None = None  # target: seconds / baseline_seconds must not exceed this
    max_seconds: float | None = None
    peak_rss_mb: float | None = None
    max_rss_mb: float | None = None
    extra: str = ""
    step: str | None = None  # the contract's step name in --json output (docs/performance.md); None: not a step
    p95_ms: float | None = None
    max_p95_ms: float | None = None
    rate: float | None = None  # for web steps: requests per second
    min_rate: float | None = None
    unit: str = "rows"

    @property
    def ratio(self):
        if self.baseline_seconds:
            return self.seconds / self.baseline_seconds
        return None

    @property
    def ok(self) -> bool:
        if self.max_ratio is not None and self.ratio is not None and self.ratio > self.max_ratio:
            return False
        if self.max_seconds is not None and self.seconds > self.max_seconds:
            return False
        if self.max_rss_mb is not None and self.peak_rss_mb is not None and self.peak_rss_mb > self.max_rss_mb:
            return False
        if self.max_p95_ms is not None and self.p95_ms is not None and self.p95_ms > self.max_p95_ms:
            return False
        if self.min_rate is not None and self.rate is not None and self.rate < self.min_rate:
            return False
        return True

    def as_json(self) -> dict:
        """The step as the --json contract writes it: every key present, absent values null."""
        rate = self.rate
        if rate is None and self.unit == "rows" and self.seconds:
            rate = self.rows / self.seconds
        return {
            "step": self.step, "rows": self.rows, "seconds": round(self.seconds, 6),
            "baseline": self.baseline_name or None,
            "baseline_seconds": None if self.baseline_seconds is None else round(self.baseline_seconds, 6),
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "peak_mb": None if self.peak_rss_mb is None else round(self.peak_rss_mb, 1),
            "p95_ms": None if self.p95_ms is None else round(self.p95_ms, 1),
            "rate": None if rate is None else round(rate, 1), "unit": self.unit,
            "target_met": self.ok, "detail": self.extra or None,
        }

    def line(self) -> str:
        if self.unit == "rows":
            rate = self.rows / self.seconds if self.seconds else float("inf")
            parts = [f"{self.name}: {self.rows} rows in {self.seconds:.2f} s ({rate:,.0f} rows/s)"]
        else:
            parts = [f"{self.name}: {self.rows} {self.unit} in {self.seconds:.2f} s"]
        if self.p95_ms is not None:
            parts.append(f"p95 {self.p95_ms:.1f} ms" + (f" (target < {self.max_p95_ms:g} ms)" if self.max_p95_ms else ""))
        if self.rate is not None:
            parts.append(f"{self.rate:,.1f} {self.unit}/s" + (f" (target >= {self.min_rate:g})" if self.min_rate else ""))
        if self.ratio is not None:
            parts.append(f"{self.ratio:.2f}x {self.baseline_name} ({self.baseline_seconds:.2f} s)")
            if self.max_ratio is not None:
                parts.append(f"target <= {self.max_ratio}x")
        if self.max_seconds is not None:
            parts.append(f"target < {self.max_seconds:g} s")
        if self.peak_rss_mb is not None:
            parts.append(f"peak {self.peak_rss_mb:.0f} MB" + (f" (target < {self.max_rss_mb:.0f} MB)" if self.max_rss_mb else ""))
        if self.extra:
            parts.append(self.extra)
        parts.append("OK" if self.ok else "MISSED")
        return " | ".join(parts)


def peak_rss_mb(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024.0


def write_json(path: str, results: list[BenchResult]) -> None:
    """The contract's steps (results with a ``step``) as a JSON list, in the order they ran."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump([r.as_json() for r in results if r.step], fh, indent=2, ensure_ascii=False)
        fh.write("\n")


def p95(samples: list[float]) -> float:
    """95th percentile (nearest rank) of a non-empty list."""
    ordered = sorted(samples)
    rank = max(1, -(-95 * len(ordered) // 100))
    return ordered[rank - 1]
