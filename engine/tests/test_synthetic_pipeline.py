"""A short run of the demo's pipeline on a small synthetic world: the baseline CAM network learns (its CAM mIoU
beats an untrained network's by a clear margin), the CLIMS and POLE configs run through the real stages, and
the demo writes a comparison labelled SYNTHETIC."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import torch

from wsss_engine.synthetic.demo import run_demo
from wsss_engine.synthetic.tiny_clip import TinyClipParams
from wsss_engine.synthetic.variants import Budget
from wsss_engine.synthetic.world import WorldParams

torch.set_num_threads(1)

WORLD = WorldParams(n_train_aug=480, n_train=120, n_val=8)
CLIP = TinyClipParams(steps=15, batch=32, pool_size=120)
BUDGET = Budget(baseline_epochs=4, baseline_lr=3e-3, clims_epochs=1, eval_scales=(1.0,))
MARGIN = 0.08


def untrained_miou(out, world_root, clip_path) -> float:
    """The same baseline config with one step at a negligible learning rate: an untrained network's CAMs."""
    from wsss_engine.pipeline import execute_run, prepare_run
    from wsss_engine.synthetic.variants import baseline_config

    cfg = baseline_config(0, world_root, clip_path, Budget(stop_after=1, baseline_lr=1e-9, eval_scales=(1.0,)))
    cfg["stages"] = [s for s in cfg["stages"] if s["type"] != "select_prompts" and s["id"] != "cams_train"]
    path = out / "untrained.json"
    path.write_text(json.dumps(cfg))
    run, loaded = prepare_run(path, out / "untrained", False)
    status, error = execute_run(run, loaded, threading.Event())
    assert status == "completed", error
    return json.loads((out / "untrained" / "reports" / "eval.json").read_text())["best"]["miou"]


def test_demo_pipeline_learns_and_reports_synthetic(tmp_path):
    out = tmp_path / "demo"
    result = run_demo(
        out,
        tmp_path / "cache",
        variants=("baseline", "clims_gt", "pole_full"),
        world_params=WORLD,
        clip_params=CLIP,
        budget=BUDGET,
    )
    assert all(r["status"] == "completed" for r in result["runs"].values()), result["runs"]
    comparison = json.loads((out / "comparison.json").read_text())
    assert comparison["synthetic"] is True and set(comparison["variants"]) == {"baseline", "clims_gt", "pole_full"}
    for v in ("baseline", "clims_gt", "pole_full"):
        run = json.loads((out / v / "run.json").read_text())
        assert run["synthetic"] is True and run["status"] == "completed"
        report = json.loads((out / v / "reports" / "eval.json").read_text())
        assert report["synthetic"] is True and report["n_images"] == 120
        spread = comparison["variants"][v]["spread_at_best"]
        assert spread["boat"]["texture"] == "water" and spread["boat"]["n_images"] > 0
    # the refinement half (METHOD §4) for the baseline and POLE variants: pseudo masks scored like the CAMs
    from wsss_engine.refine.crf import crf_available

    for v in ("baseline", "pole_full"):
        if crf_available():
            rw = json.loads((out / v / "reports" / "eval_rw.json").read_text())
            assert rw["source"] == {"stage": "rw", "type": "random_walk"} and rw["n_images"] == 120
            assert comparison["variants"][v]["miou_rw"] == rw["miou"]
            assert comparison["variants"][v]["miou_ir"] is not None
    assert comparison["variants"]["clims_gt"]["miou_rw"] is None
    # POLE's selection masks train_aug with the CLIMS-GT run's CAMs (variants.Budget.select_from)
    selection = json.loads((out / "clims_gt" / "selection" / "prompt_selection.json").read_text())
    assert len(selection["images"]) == 480
    pole = json.loads((out / "pole_full" / "run.json").read_text())["stages"][0]["summary"]
    assert pole["prompt"] == "selected" and pole["adaptors"] == "learnable"
    # the hover previews' model, exported by the main job (issue 13)
    assert (out / "pole_full" / "export" / "cam_model.onnx").is_file()

    trained = comparison["variants"]["baseline"]["miou_best"]
    untrained = untrained_miou(tmp_path, Path(result["world"]), Path(result["tiny_clip"]))
    print(f"baseline CAM best mIoU {trained:.3f} vs untrained {untrained:.3f} (SYNTHETIC)")
    assert trained >= untrained + MARGIN

    # a second demo call reuses the completed runs of the same configs
    again = run_demo(
        out, tmp_path / "cache", variants=("baseline",), world_params=WORLD, clip_params=CLIP, budget=BUDGET
    )
    assert again["runs"]["baseline"]["reused"] is True


def test_world_and_tiny_clip_stages_run_from_a_config(tmp_path):
    """The stages synthetic_world and train_tiny_clip through the real pipeline, their params validated by the
    run-config schema; they cache outside the run and name their outputs in the stage summaries."""
    from wsss_engine.pipeline import config_file_problems, execute_run, prepare_run

    cache = str(tmp_path / "cache")
    config = {
        "name": "synthetic-assets",
        "device": "cpu",
        "synthetic": True,
        "stages": [
            {"id": "world", "type": "synthetic_world", "n_train_aug": 10, "n_train": 4, "n_val": 3, "cache_dir": cache},
            {"id": "clip", "type": "train_tiny_clip", "steps": 2, "batch": 8, "pool_size": 20, "cache_dir": cache},
        ],
    }
    path = tmp_path / "assets.json"
    path.write_text(json.dumps(config))
    assert config_file_problems(path) == []
    bad = dict(config, stages=[dict(config["stages"][0], n_train_aug="many")])
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    assert any("/stages/0" in p["path"] for p in config_file_problems(tmp_path / "bad.json"))
    run, loaded = prepare_run(path, tmp_path / "run", False)
    assert execute_run(run, loaded, threading.Event())[0] == "completed"
    stages = {s["id"]: s["summary"] for s in json.loads((tmp_path / "run" / "run.json").read_text())["stages"]}
    root = Path(stages["world"]["root"])
    assert stages["world"]["synthetic"] is True and (root / "world.json").is_file() and root.is_relative_to(cache)
    assert stages["world"]["splits"] == {"train_aug": 10, "val": 3, "train": 4}
    ckpt = Path(stages["clip"]["checkpoint"])
    assert ckpt.is_file() and isinstance(stages["clip"]["cbs_threshold"], float)


def test_the_main_job_sets_its_cpu_speed_settings_and_the_experiment_files_do_not(tmp_path):
    """`demo` (the main job) runs the small CNN channels-last and the IR labels' CRF in two processes, on every
    stage that takes them; a Budget as the experiment files build it keeps the defaults, so their documented
    figures stay reproducible. --quick drops the second half."""
    from wsss_engine.synthetic.demo import cli_budget
    from wsss_engine.synthetic.variants import write_configs
    from wsss_engine.synthetic.world import write_world

    world = tmp_path / "world"
    write_world(WorldParams(n_train_aug=4, n_train=4, n_val=2), world)
    clip = tmp_path / "clip.pt"
    for name, budget, fast in (("main", cli_budget("cpu", False), True), ("files", Budget(), False)):
        paths = write_configs(tmp_path / name, 0, world, clip, budget)
        stages = [s for p in paths.values() for s in json.loads(p.read_text())["stages"]]
        takes = [s for s in stages if s["type"] in ("baseline_cam", "train_clims", "infer_cams", "train_segmenter")]
        assert takes and all(s["channels_last"] is fast for s in takes), name
        crf = [s for s in stages if s["type"] == "ir_labels"]
        assert crf and all(s["num_workers"] == (2 if fast else 0) for s in crf), name
    quick = cli_budget("cpu", True)
    assert quick.refine == () and quick.segment == () and quick.channels_last
