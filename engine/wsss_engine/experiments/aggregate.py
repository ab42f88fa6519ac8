"""The experiment's table from its runs' own evaluate reports (<run>/reports/<stage>.json, fractions in [0, 1]):
per variant the mean ± sample standard deviation over seeds of each figure, the per-class IoU means of the CAM
figure, and the paired difference per seed against the reference variant with a 95% confidence interval from
the t-distribution with n-1 degrees of freedom (scipy.stats.t), n = seeds where both runs have the figure."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..json_input import JsonInputError
from ..runs.run_folder import read_json

CONFIDENCE = 0.95
CI_NOTE = (
    "paired difference = variant - reference on the same seed; mean with a 95% confidence interval from the "
    "t-distribution (n-1 degrees of freedom, n = paired seeds); std = sample standard deviation over seeds"
)
FIGURE_LABELS = {
    "cam": "CAM mIoU @{threshold}",
    "cam_best": "CAM mIoU (sweep best)",
    "ir": "IR labels mIoU",
    "rw": "+RW pseudo masks mIoU",
    "seg": "segmenter mIoU",
}


def _report(exp_dir: Path, run_dir: str, stage: str) -> dict[str, Any] | None:
    try:
        return read_json(exp_dir / run_dir / "reports" / f"{stage}.json")
    except (OSError, JsonInputError):
        return None


def summary(values: list[float]) -> dict[str, Any]:
    n = len(values)
    mean = sum(values) / n if n else None
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return {"mean": mean, "std": std, "n": n}


def paired(diffs: list[float]) -> dict[str, Any]:
    """Mean paired difference and its 95% t confidence interval (None with fewer than two pairs)."""
    from scipy.stats import t

    s = summary(diffs)
    lo = hi = None
    if s["n"] > 1:
        half = t.ppf(0.5 + CONFIDENCE / 2, s["n"] - 1) * s["std"] / math.sqrt(s["n"])
        lo, hi = s["mean"] - half, s["mean"] + half
    return {"mean": s["mean"], "lo": lo, "hi": hi, "n": s["n"]}


def aggregate(state: dict[str, Any], exp_dir: str | Path) -> dict[str, Any]:
    """The table (JSON; export.py writes it as Markdown, CSV and LaTeX) from experiment.json's state."""
    exp_dir = Path(exp_dir)
    figures = state["figures"]
    per_seed: dict[str, dict[str, dict[int, float]]] = {}  # variant -> figure -> seed -> value
    per_class: dict[str, dict[str, list[float]]] = {}
    classes: list[str] = []
    threshold = None
    runs = {u["variant"]: [] for u in state["units"] if u["kind"] == "variant"}
    for unit in state["units"]:
        if unit["kind"] != "variant":
            continue
        runs[unit["variant"]].append({"seed": unit["seed"], "runDir": unit["runDir"], "status": unit["status"]})
        values = per_seed.setdefault(unit["variant"], {})
        for figure, stage in figures.items():
            report = _report(exp_dir, unit["runDir"], stage)
            if report is None or report.get("miou") is None:
                continue
            values.setdefault(figure, {})[unit["seed"]] = report["miou"]
            if figure == "cam":
                threshold = report.get("threshold", threshold)
                if report.get("best"):
                    values.setdefault("cam_best", {})[unit["seed"]] = report["best"]["miou"]
                classes = report.get("classes", classes)
                bucket = per_class.setdefault(unit["variant"], {})
                for name, iou in zip(report.get("classes", []), report.get("per_class_iou", [])):
                    if iou is not None:
                        bucket.setdefault(name, []).append(iou)
    keys = [k for k in ("cam", "cam_best", "ir", "rw", "seg") if any(k in v for v in per_seed.values())]
    reference = per_seed.get(state["reference"], {})
    rows = []
    for variant in state["variants"]:
        values = per_seed.get(variant["name"], {})
        row: dict[str, Any] = {
            "variant": variant["name"],
            "label": variant["label"],
            "reference": variant["name"] == state["reference"],
            "runs": runs.get(variant["name"], []),
            "values": {},
            "diff": {},
            "published": variant.get("published", {}),
            "perClass": {c: sum(v) / len(v) for c, v in per_class.get(variant["name"], {}).items()},
        }
        for key in keys:
            seeds = values.get(key, {})
            row["values"][key] = {**summary(list(seeds.values())), "perSeed": {str(s): v for s, v in seeds.items()}}
            ref = reference.get(key, {})
            common = [s for s in seeds if s in ref]
            if variant["name"] != state["reference"]:
                diffs = {str(s): seeds[s] - ref[s] for s in common}
                row["diff"][key] = {**paired(list(diffs.values())), "perSeed": diffs}
        rows.append(row)
    thr = f"{threshold:g}" if isinstance(threshold, (int, float)) else "threshold"
    return {
        "formatVersion": 1,
        "name": state["name"],
        "reference": state["reference"],
        "seeds": state["seeds"],
        "status": state["status"],
        "synthetic": any(_synthetic(exp_dir, r["runDir"]) for row in rows for r in row["runs"]),
        "columns": [{"key": k, "label": FIGURE_LABELS[k].format(threshold=thr)} for k in keys],
        "classes": classes,
        "rows": rows,
        "publishedSource": state.get("publishedSource", ""),
        "note": CI_NOTE,
    }


def _synthetic(exp_dir: Path, run_dir: str) -> bool:
    try:
        return bool(read_json(exp_dir / run_dir / "run.json").get("synthetic"))
    except (OSError, JsonInputError):
        return False
