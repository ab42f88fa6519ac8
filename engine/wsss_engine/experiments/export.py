"""The aggregated table as files: <exp>/table.json (what the report panel reads), table.md, table.csv, table.tex.
Figures are shown in percent (the paper's unit), one decimal; the CSV keeps full precision in fractions."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..runs.run_folder import atomic_write_bytes, atomic_write_json

PUBLISHED_LABELS = {"cam": "CAM", "cam_best": "CAM best", "ir": "IR", "rw": "+RW", "seg": "seg"}


def pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:+.1f}" if signed else f"{100 * value:.1f}"


def mean_std(cell: dict[str, Any] | None) -> str:
    if not cell or cell["mean"] is None:
        return "-"
    return pct(cell["mean"]) + (f" ± {pct(cell['std'])}" if cell["std"] is not None else "")


def diff_text(cell: dict[str, Any] | None) -> str:
    if not cell or cell["mean"] is None:
        return ""
    ci = f" [{pct(cell['lo'], True)}, {pct(cell['hi'], True)}]" if cell["lo"] is not None else " (n=1)"
    return pct(cell["mean"], True) + ci


def published_keys(table: dict[str, Any]) -> list[str]:
    return [k for k in PUBLISHED_LABELS if any(k in row["published"] for row in table["rows"])]


def header(table: dict[str, Any]) -> list[str]:
    cols = ["variant", "seeds"]
    for c in table["columns"]:
        cols += [c["label"], f"Δ {c['label']} vs {table['reference']} (95% CI)"]
    cols += [f"{PUBLISHED_LABELS[k]} (published)" for k in published_keys(table)]
    return cols


def body(table: dict[str, Any]) -> list[list[str]]:
    lines = []
    for row in table["rows"]:
        n = max((v["n"] for v in row["values"].values()), default=0)
        cells = [row["label"] + (" (reference)" if row["reference"] else ""), str(n)]
        for c in table["columns"]:
            cells += [mean_std(row["values"].get(c["key"])), diff_text(row["diff"].get(c["key"]))]
        cells += [f"{row['published'][k]:.1f}" if k in row["published"] else "-" for k in published_keys(table)]
        lines.append(cells)
    return lines


def title(table: dict[str, Any]) -> str:
    world = "SYNTHETIC world, not PASCAL VOC numbers" if table["synthetic"] else "measured"
    return f"{table['name']} ({world}); mIoU in %, mean ± std over seeds {table['seeds']}"


def markdown(table: dict[str, Any]) -> str:
    cols = header(table)
    out = [f"**{title(table)}**", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(cells) + " |" for cells in body(table)]
    out += ["", f"{table['note']}."]
    if published_keys(table):
        out.append(f"Published values: {table['publishedSource'] or 'the paper'} (not measured here).")
    if table["status"] != "completed":
        out.append(f"Experiment status: {table['status']}; the table holds the runs finished so far.")
    return "\n".join(out) + "\n"


def csv_text(table: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        ["variant", "figure", "seeds", "mean", "std", "diff_mean", "diff_ci_low", "diff_ci_high", "published_pct"]
    )
    for row in table["rows"]:
        for c in table["columns"]:
            v, d = row["values"].get(c["key"], {}), row["diff"].get(c["key"], {})
            cells = [
                v.get("mean"),
                v.get("std"),
                d.get("mean"),
                d.get("lo"),
                d.get("hi"),
                row["published"].get(c["key"]),
            ]
            writer.writerow([row["variant"], c["key"], v.get("n", 0)] + ["" if x is None else x for x in cells])
    return buf.getvalue()


def latex(table: dict[str, Any]) -> str:
    def esc(text: str) -> str:
        for a, b in (
            ("\\", r"\textbackslash{}"),
            ("&", r"\&"),
            ("%", r"\%"),
            ("_", r"\_"),
            ("#", r"\#"),
            ("±", r"$\pm$"),
            ("Δ", r"$\Delta$"),
        ):
            text = text.replace(a, b)
        return text

    cols = header(table)
    out = [
        r"\begin{table}[t]",
        r"\centering",
        r"\begin{tabular}{l" + "r" * (len(cols) - 1) + "}",
        r"\hline",
        " & ".join(esc(c) for c in cols) + r" \\",
        r"\hline",
    ]
    out += [" & ".join(esc(c) for c in cells) + r" \\" for cells in body(table)]
    out += [r"\hline", r"\end{tabular}", r"\caption{" + esc(title(table) + ". " + table["note"]) + ".}", r"\end{table}"]
    return "\n".join(out) + "\n"


def write_all(table: dict[str, Any], exp_dir: str | Path) -> dict[str, Path]:
    exp_dir = Path(exp_dir)
    paths = {k: exp_dir / f"table.{k}" for k in ("json", "md", "csv", "tex")}
    atomic_write_json(paths["json"], table)
    for key, text in (("md", markdown(table)), ("csv", csv_text(table)), ("tex", latex(table))):
        atomic_write_bytes(paths[key], text.encode())
    return paths
