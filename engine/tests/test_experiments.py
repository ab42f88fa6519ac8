"""Experiments (docs/EXPERIMENTS.md): expansion and validation of variants, the baseline shared once per seed,
resume after a SIGKILL, and a table whose numbers are those of the runs' own evaluate reports.

Real files, the real pipeline on the tiny training world (training_world.py) and a tiny random CLIP."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from scipy import stats

from training_world import make_voc_root, tiny_clip_checkpoint, write_config

from wsss_engine.errors import ConfigInvalid, RunFolderError
from wsss_engine.experiments.expand import expand
from wsss_engine.experiments.runner import create_experiment, read_state, run_experiment
from wsss_engine.experiments.share import plan_units
from wsss_engine.experiments.spec import load_experiment

torch.set_num_threads(1)
ENGINE = Path(__file__).resolve().parents[1]
SMALL = {"backbone": {"name": "small_cnn", "width": 8, "out_channels": 16}, "batch_size": 4, "num_workers": 0}


def base_stages(clims_epochs: int = 1) -> list[dict]:
    return [
        {"id": "baseline", "type": "baseline_cam", **SMALL, "epochs": 1, "lr": 0.05},
        {
            "id": "cams_base",
            "type": "infer_cams",
            "model": "baseline",
            "split": "train",
            "scales": [1.0],
            "num_workers": 0,
        },
        # "split": "eval" beside a later stage "eval": a list name, not a reference (the synthetic chain has it)
        {"id": "eval_base", "type": "evaluate", "cams": "cams_base", "split": "eval"},
        {"id": "select", "type": "select_prompts", "cams": "cams_base", "batch_size": 4},
        {
            "id": "clims",
            "type": "train_clims",
            "init": "baseline",
            "prompt": "selected",
            "batch_size": 4,
            "epochs": clims_epochs,
            "lr": 0.01,
            "log_every": 1,
            "mask_mode": "raw",
            "num_workers": 0,
        },
        {"id": "cams", "type": "infer_cams", "model": "clims", "split": "eval", "scales": [1.0], "num_workers": 0},
        {"id": "eval", "type": "evaluate", "cams": "cams", "split": "eval"},
    ]


def write_experiment(tmp_path: Path, clims_epochs: int = 1, **extra) -> Path:
    root = make_voc_root(tmp_path / "data", n=8, masks=True)
    clip = tiny_clip_checkpoint(tmp_path / "tiny_clip.pt")
    write_config(tmp_path / "base.wsss-run.json", root, clip, base_stages(clims_epochs))
    experiment = {
        "name": "prompt study",
        "base": "base.wsss-run.json",
        "variants": [
            {
                "name": "gt",
                "label": "CLIMS (GT word)",
                "set": {"/stages/clims/prompt": "gt"},
                "published": {"cam": 56.6},
            },
            {"name": "selected", "label": "POLE selection", "published": {"cam": 58.7}},
        ],
        "seeds": [0, 1],
        "reference": "gt",
        "figures": {"cam": "eval"},
        "published_source": "POLE Table 1",
        **extra,
    }
    path = tmp_path / "study.wsss-experiment.json"
    path.write_text(json.dumps(experiment, indent=1))
    return path


def test_variants_expand_and_the_baseline_is_planned_once_per_seed(tmp_path):
    exp = load_experiment(write_experiment(tmp_path))
    runs = expand(exp)
    assert [r.name for r in runs] == ["gt-s0", "gt-s1", "selected-s0", "selected-s1"]
    assert {r.config["seed"] for r in runs} == {0, 1}
    clims = {r.name: next(s for s in r.config["stages"] if s["id"] == "clims") for r in runs}
    assert clims["gt-s0"]["prompt"] == "gt" and clims["selected-s0"]["prompt"] == "selected"
    units = plan_units(runs, tmp_path / "exp")
    assert [u.name for u in units] == [
        "shared/gt-s0",
        "runs/gt-s0",
        "runs/selected-s0",
        "shared/gt-s1",
        "runs/gt-s1",
        "runs/selected-s1",
    ]
    shared = units[0]
    assert [s["id"] for s in shared.config["stages"]] == ["baseline", "cams_base", "select"]
    for unit in units[1:3]:
        stages = {s["id"]: s for s in unit.config["stages"]}
        assert list(stages) == ["eval_base", "clims", "cams", "eval"] and unit.needs == ["shared/gt-s0"]
        assert stages["clims"]["init"] == str(tmp_path / "exp" / "shared/gt-s0/checkpoints/baseline.pt")
    selection = units[2].config["stages"][1]["selection"]  # train_clims read its own run's selection: now named
    assert selection == str(tmp_path / "exp" / "shared/gt-s0/selection/prompt_selection.json")
    # a bank size change does not touch the baseline CAM or its CAMs, only the selection and what follows
    exp2 = load_experiment(write_experiment(tmp_path))
    runs2 = expand(exp2)
    runs2[2].config["synonym_bank_size"] = 1
    runs2[3].config["synonym_bank_size"] = 1
    units2 = plan_units(runs2, tmp_path / "exp2")
    selected = next(u for u in units2 if u.name == "runs/selected-s0")
    assert [s["id"] for s in selected.config["stages"]] == ["eval_base", "select", "clims", "cams", "eval"]
    assert selected.config["stages"][1]["cams"].endswith("shared/gt-s0/cams/cams_base")


def test_a_variant_that_does_not_validate_is_named_before_any_run(tmp_path):
    path = write_experiment(tmp_path)
    raw = json.loads(path.read_text())
    raw["variants"].append({"name": "broken", "set": {"/stages/clims/adaptors": "sometimes"}})
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigInvalid) as err:
        create_experiment(path, tmp_path / "exp")
    assert "variant 'broken'" in err.value.message and "/stages/4/adaptors" in err.value.message
    assert err.value.path == str(path) and not (tmp_path / "exp").exists()
    raw["variants"][-1] = {"name": "broken", "set": {"/stages/nosuch/prompt": "gt"}}
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigInvalid, match="variant 'broken'.*no element 'nosuch'"):
        create_experiment(path, tmp_path / "exp")
    raw["variants"].pop()
    raw["reference"] = "nope"
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigInvalid, match="reference 'nope' is not a variant"):
        create_experiment(path, tmp_path / "exp")
    raw["reference"], raw["figures"] = "gt", {"cam": "cams"}
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigInvalid, match="figure 'cam' names stage 'cams', which is not an evaluate stage"):
        create_experiment(path, tmp_path / "exp")


def _wait_for(predicate, timeout=120.0):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _clims_steps(run: Path) -> list[int]:
    path = run / "metrics.jsonl"
    if not path.exists():
        return []
    return [m["step"] for m in map(json.loads, path.read_text().splitlines()) if m["stage"] == "clims"]


def test_experiment_resumes_after_a_kill_and_its_table_matches_the_reports(tmp_path):
    path = write_experiment(tmp_path, clims_epochs=4)
    exp_dir = tmp_path / "exp"
    env = {**os.environ, "PYTHONPATH": str(ENGINE), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "wsss_engine", "experiment", "run", str(path), "--dir", str(exp_dir)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    victim = exp_dir / "runs" / "gt-s0"
    try:
        # killed inside the first variant's CLIMS training, after its first epoch's checkpoint (2 steps/epoch)
        assert _wait_for(lambda: len(_clims_steps(victim)) >= 3 or proc.poll() is not None), "no CLIMS steps"
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    state = read_state(exp_dir)
    assert [u["status"] for u in state["units"]][:2] == ["completed", "running"]
    shared_record = json.loads((exp_dir / "shared/gt-s0/run.json").read_text())
    victim_id = json.loads((victim / "run.json").read_text())["id"]
    steps_before = _clims_steps(victim)

    with pytest.raises(RunFolderError, match="already holds an experiment"):
        create_experiment(path, exp_dir)
    state = run_experiment(exp_dir)  # `experiment resume`, in-process
    assert state["status"] == "completed", state["error"]
    assert all(u["status"] == "completed" for u in state["units"])
    # the finished shared run was kept, not redone; the killed run resumed in place from its checkpoint
    assert json.loads((exp_dir / "shared/gt-s0/run.json").read_text())["stages"] == shared_record["stages"]
    assert json.loads((victim / "run.json").read_text())["id"] == victim_id
    steps_after = _clims_steps(victim)
    assert steps_after == list(range(1, 9)) and len(steps_before) >= 3
    assert "resum" in (victim / "engine.log").read_text().lower()
    # the baseline ran once per seed: only the shared runs have its checkpoint
    assert sorted(
        p.parent.parent.relative_to(exp_dir).as_posix() for p in exp_dir.glob("*/*/checkpoints/baseline.pt")
    ) == [
        "shared/gt-s0",
        "shared/gt-s1",
    ]

    table = json.loads((exp_dir / "table.json").read_text())
    reports = {
        (v, s): json.loads((exp_dir / f"runs/{v}-s{s}/reports/eval.json").read_text())
        for v in ("gt", "selected")
        for s in (0, 1)
    }
    rows = {r["variant"]: r for r in table["rows"]}
    for v in ("gt", "selected"):
        fixed = [reports[v, s]["miou"] for s in (0, 1)]
        best = [reports[v, s]["best"]["miou"] for s in (0, 1)]
        assert rows[v]["values"]["cam"]["mean"] == pytest.approx(sum(fixed) / 2)
        assert rows[v]["values"]["cam"]["std"] == pytest.approx(abs(fixed[0] - fixed[1]) / math.sqrt(2))
        assert rows[v]["values"]["cam_best"]["mean"] == pytest.approx(sum(best) / 2)
        iou = [reports[v, s]["per_class_iou"][1] for s in (0, 1)]
        assert rows[v]["perClass"][reports[v, 0]["classes"][1]] == pytest.approx(sum(iou) / 2)
    diffs = [reports["selected", s]["miou"] - reports["gt", s]["miou"] for s in (0, 1)]
    diff = rows["selected"]["diff"]["cam"]
    half = stats.t.ppf(0.975, 1) * stats.tstd(diffs) / math.sqrt(2) if diffs[0] != diffs[1] else 0.0
    assert diff["mean"] == pytest.approx(sum(diffs) / 2)
    assert diff["hi"] - diff["mean"] == pytest.approx(half)
    assert "cam" not in rows["gt"]["diff"] and rows["selected"]["published"] == {"cam": 58.7}
    md = (exp_dir / "table.md").read_text()
    assert "POLE selection" in md and "58.7" in md and "(published)" in md and "t-distribution" in md
    assert f"{100 * sum(diffs) / 2:+.1f}" in md
    csv_lines = (exp_dir / "table.csv").read_text().splitlines()
    assert csv_lines[0].startswith("variant,figure,seeds,mean") and len(csv_lines) == 1 + 2 * 2
    assert r"\begin{tabular}" in (exp_dir / "table.tex").read_text()


SHIPPED = sorted((ENGINE.parent / "configs" / "experiments").glob("*.wsss-experiment.json"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_experiment_files_validate(path):
    """Every shipped file passes the schema; the VOC ones also expand into valid run configs (no data needed)
    and share the baseline CAM and its CAMs within each seed. The synthetic ones build their world when run."""
    exp = load_experiment(path)
    assert exp.reference in {v.name for v in exp.variants} and len(exp.seeds) >= 3
    if not isinstance(exp.base, str):
        return
    runs = expand(exp)
    assert len(runs) == len(exp.variants) * len(exp.seeds)
    for run in runs:
        assert {"onnx", "segmenter"}.isdisjoint(s["id"] for s in run.config["stages"])
    units = plan_units(runs, Path("/exp"))
    shared = [u for u in units if u.kind == "shared"]
    assert len(shared) == len(exp.seeds)  # one shared run per seed, holding the baseline
    assert all(s["id"] == "baseline" for u in shared for s in u.config["stages"][:1])
    assert not any(s["type"] == "baseline_cam" for u in units if u.kind == "variant" for s in u.config["stages"])
    published = [v.published for v in exp.variants if v.published]
    assert published, "VOC experiments show the paper's values"


def test_runs_side_by_side_in_their_own_processes(tmp_path, monkeypatch):
    """`parallel` 2 (on a GPU machine: one per GPU, parallel.py): after the shared run, both variants of the
    seed run at the same time, each in a `wsss_engine run` process, and the table is the same kind of table.
    "At the same time" is checked on the processes (the second starts while the first is alive), not on the
    run.json times: a tiny run can finish before a loaded machine has imported torch in the other process."""
    from wsss_engine.experiments import parallel

    started: list[tuple[str, subprocess.Popen, list[str]]] = []
    real_start = parallel._start

    def start(exp_dir, unit, slot):
        alive = [name for name, proc, _ in started if proc.poll() is None]
        proc = real_start(exp_dir, unit, slot)
        started.append((unit["name"], proc, alive))
        return proc

    monkeypatch.setattr(parallel, "_start", start)
    path = write_experiment(tmp_path)
    raw = json.loads(path.read_text())
    path.write_text(json.dumps(dict(raw, seeds=[0])))
    exp_dir = tmp_path / "exp"
    create_experiment(path, exp_dir)
    state = run_experiment(exp_dir, parallel=2)
    assert state["status"] == "completed", state["error"]
    runs = {
        n: json.loads((exp_dir / n / "run.json").read_text())
        for n in ("shared/gt-s0", "runs/gt-s0", "runs/selected-s0")
    }
    shared_end = runs["shared/gt-s0"]["updated"]
    gt, sel = runs["runs/gt-s0"], runs["runs/selected-s0"]
    assert gt["created"] >= shared_end and sel["created"] >= shared_end  # they read the shared artefacts
    names = [name for name, _, _ in started]
    assert names[0] == "shared/gt-s0" and sorted(names[1:]) == ["runs/gt-s0", "runs/selected-s0"]
    assert started[1][2] == [] and started[2][2] == [names[1]], "the second variant starts while the first runs"
    assert (exp_dir / "logs" / "runs__gt-s0.log").is_file()
    table = json.loads((exp_dir / "table.json").read_text())
    assert [r["values"]["cam"]["n"] for r in table["rows"]] == [1, 1]


def test_synthetic_table1_runs_pass_their_preflight_with_the_tiny_clips_vocabulary(tmp_path):
    """The shipped synthetic Table 1 file, on a small world and a barely trained tiny CLIP of the real caption
    design: every variant expands and passes the run's preflight, which checks each prompt word against the
    tiny CLIP's word-level vocabulary, so "an image of [CLS]." (Table 1 row 2) has its words there."""
    from wsss_engine.preflight import check_inputs
    from wsss_engine.runs.config import validate_config
    from wsss_engine.stage_context import resolve_against
    from wsss_engine.stage_registry import registered_types

    raw = json.loads((ENGINE.parent / "configs/experiments/synthetic-table1-prompts.wsss-experiment.json").read_text())
    raw.pop("$schema")
    raw["base"]["synthetic"].update(
        world={"n_train_aug": 24, "n_train": 12, "n_val": 12},
        tiny_clip={"steps": 1, "batch": 8, "pool_size": 16},
        cache_dir=str(tmp_path / "cache"),
    )
    raw["seeds"] = raw["seeds"][:3]
    path = tmp_path / "t1.wsss-experiment.json"
    path.write_text(json.dumps(raw))
    runs = expand(load_experiment(path), log=lambda m: None)
    templates = {r.variant: s.get("prompt_strategy") for r in runs for s in r.config["stages"] if s["id"] == "clims"}
    assert templates["image"] == {"kind": "template", "template": "an image of {}."}
    for run in runs[:: len(raw["seeds"])]:  # one seed per variant: the preflight does not depend on it
        loaded = validate_config(run.config, None, registered_types())  # with the schema's defaults, as a run
        check_inputs(loaded.config, lambda p: resolve_against(tmp_path, p))


def test_a_synthetic_base_with_segment_gets_the_whole_second_half_at_the_worlds_size(tmp_path):
    """base.synthetic.segment adds IRN's refinement half and the segmenter (METHOD §4-5), sized to the world."""
    from wsss_engine.experiments.synthetic_base import synthetic_base

    spec = {
        "variant": "baseline",
        "segment": True,
        "world": {"n_train_aug": 8, "n_train": 4, "n_val": 4, "image_size": 96},
        "tiny_clip": {"steps": 1, "batch": 8, "pool_size": 16},
        "cache_dir": str(tmp_path / "cache"),
    }
    stages = {s["id"]: s for s in synthetic_base(spec, tmp_path, log=lambda m: None)["stages"]}
    assert {"ir", "eval_ir", "irn", "rw", "eval_rw", "segmenter", "seg_val", "eval_seg"} <= set(stages)
    assert stages["segmenter"]["masks"] == "rw" and stages["irn"]["crop_size"] == 96
    assert "segmenter" not in {
        s["id"] for s in synthetic_base({**spec, "segment": False}, tmp_path, log=None)["stages"]
    }


@pytest.mark.parametrize("name", ["synthetic-refinement-parts", "synthetic-refinement-parts-pole"])
def test_the_parts_world_refinement_experiments_run_their_whole_chain(tmp_path, name):
    """The shipped refinement experiments (docs/SYNTHETIC-WORLD.md §3) on a tiny parts world, one step per stage:
    the world and (POLE) the tiny CLIP take the parts style, IRN learns from the training list's own CAMs and IR
    labels when asked (irn_list "train"), the segmenter starts from the CAM network, and the table has all four
    figures."""
    raw = json.loads((ENGINE.parent / f"configs/experiments/{name}.wsss-experiment.json").read_text())
    raw.pop("$schema")
    synthetic = raw["base"]["synthetic"]
    assert synthetic["world"]["style"] == "parts"
    synthetic["world"].update(n_train_aug=12, n_train=6, n_val=6, image_size=48)
    synthetic["tiny_clip"] = {**synthetic.get("tiny_clip", {}), "steps": 1, "batch": 8, "pool_size": 16}
    # irn_list "train": the recipe's IRN data (train_aug's own CAMs and IR labels), an option of the budget
    synthetic["budget"].update(stop_after=1, batch_size=4, seg_batch_size=4, eval_scales=[1.0], irn_list="train")
    synthetic["cache_dir"] = str(tmp_path / "cache")
    raw["seeds"] = [0]
    path = tmp_path / "e.wsss-experiment.json"
    path.write_text(json.dumps(raw))
    exp_dir = tmp_path / "exp"
    create_experiment(path, exp_dir)
    state = run_experiment(exp_dir)
    assert state["status"] == "completed", state["error"]
    run = next((exp_dir / "runs").iterdir())
    config = json.loads((run / "config.json").read_text())
    stages = {s["id"]: s for s in config["stages"]}
    assert stages["irn"]["ir_labels"] == "ir_train" and stages["ir_train"]["split"] == "train"
    assert stages["segmenter"]["backbone_from"] == ("baseline" if name.endswith("parts") else "clims")
    assert (run / "masks" / "rw").is_dir() and len(list((run / "masks" / "ir_train").glob("*.png"))) == 12
    world = json.loads((Path(config["dataset"]["root"]) / "world.json").read_text())
    assert world["params"]["style"] == "parts"
    table = json.loads((exp_dir / "table.json").read_text())
    assert [c["key"] for c in table["columns"]] == ["cam", "cam_best", "ir", "rw", "seg"]
