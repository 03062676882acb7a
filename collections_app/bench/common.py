import dataclasses
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
        return True

    def line(self) -> str:
        rate = self.rows / self.seconds if self.seconds else float("inf")
        parts = [f"{self.name}: {self.rows} rows in {self.seconds:.2f} s ({rate:,.0f} rows/s)"]
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
