"""The one report shape every benchmark writes: results/NAME/report.json and report.md."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import sys
from pathlib import Path

from retrieval.fileio import atomic_write

PACKAGES = ("torch", "transformers", "sentence-transformers", "faiss-cpu", "bm25s", "numpy", "polyrag")


def environment() -> dict:
    import torch

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    cpu = platform.processor() or platform.machine()
    if Path("/proc/cpuinfo").is_file():
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return {"python": sys.version.split()[0], "platform": platform.platform(), "cpu": cpu,
            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, "versions": versions}


def command_line() -> list[str]:
    """The command as typed: ``python -m benchmarks.NAME --flags`` (argv[0] is a file path under -m)."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    return ["python", "-m", spec.name, *sys.argv[1:]] if spec else ["python", *sys.argv]


def markdown_table(rows: list[dict], digits: int = 4) -> str:
    if not rows:
        return ""
    columns = list(rows[0])
    cell = lambda v: f"{v:.{digits}f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def write_report(out_dir: str | Path, title: str, figures: dict, tables: dict[str, list[dict]],
                 notes: str = "") -> Path:
    """Write report.json ({command, environment, figures, tables}) and report.md; return the folder."""
    out_dir = Path(out_dir)
    report = {"command": command_line(), "environment": environment(),
              "figures": figures, "tables": tables}
    with atomic_write(out_dir / "report.json") as out:
        json.dump(report, out, indent=2, ensure_ascii=False)
        out.write("\n")
    parts = [f"# {title}", "", f"Command: `{' '.join(report['command'])}`", "", notes, "## Figures", "",
             markdown_table([{"figure": k, "value": v} for k, v in figures.items()])]
    for name, rows in tables.items():
        parts += ["", f"## {name}", "", markdown_table(rows)]
    with atomic_write(out_dir / "report.md") as out:
        out.write("\n".join(parts) + "\n")
    return out_dir
