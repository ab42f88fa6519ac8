"""Typed stage parameters have one source of defaults, the run-config schema (issue 14 item 4; stage_params.py):
every stage's params dataclass names only params of its `$defs/<type>Params`, gives a Python default only
where the schema has none, and no stage reads a param with `params.get(key, default)`."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
from pathlib import Path

import pytest

from wsss_engine.errors import ConfigInvalid
from wsss_engine.runs.config import base_schema
from wsss_engine.stage_params import param_values, schema_defaults
from wsss_engine.stage_registry import BUILTIN_STAGES

STAGES = Path(__file__).resolve().parents[1] / "wsss_engine" / "stages"

# stage type -> the dataclasses its params fill (module:class); LoopConfig / OptimConfig are shared by the
# training stages and checked by test_optim.py / test_training.py.
PARAMS = {
    "synthetic_world": ["wsss_engine.synthetic.world:WorldParams"],
    "train_tiny_clip": ["wsss_engine.synthetic.tiny_clip:TinyClipParams"],
    "select_prompts": ["wsss_engine.stages.select_prompts:SelectPromptsParams"],
    "baseline_cam": ["wsss_engine.stages.train_data:TrainDataParams"],
    "train_clims": ["wsss_engine.stages.train_clims:TrainClimsParams", "wsss_engine.stages.train_data:TrainDataParams"],
    "infer_cams": ["wsss_engine.stages.infer_cams:InferCamsParams"],
    "evaluate": ["wsss_engine.stages.evaluate:EvaluateParams"],
    "export_onnx": ["wsss_engine.stages.export_onnx:ExportOnnxParams"],
    "ir_labels": ["wsss_engine.stages.ir_labels:IrLabelsParams"],
    "train_irn": ["wsss_engine.stages.train_irn:TrainIrnParams"],
    "random_walk": ["wsss_engine.stages.random_walk:RandomWalkParams"],
    "train_segmenter": ["wsss_engine.stages.train_segmenter:TrainSegmenterParams"],
    "infer_segmenter": ["wsss_engine.stages.infer_segmenter:InferSegmenterParams"],
}
# Library dataclasses usable without a run (tests, the demo): their defaults must equal the schema's.
LIBRARY = {"WorldParams", "TinyClipParams"}


def load(ref: str) -> type:
    module, name = ref.split(":")
    return getattr(importlib.import_module(module), name)


def test_every_built_in_stage_has_typed_params() -> None:
    assert set(PARAMS) == set(BUILTIN_STAGES)


@pytest.mark.parametrize("stage_type", sorted(PARAMS))
def test_params_dataclasses_follow_the_schema(stage_type: str) -> None:
    props = base_schema()["$defs"][f"{stage_type}Params"]["properties"]
    defaults = schema_defaults(stage_type)
    for ref in PARAMS[stage_type]:
        cls = load(ref)
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen or cls.__name__ in LIBRARY
        for f in dataclasses.fields(cls):
            assert f.name in props, f"{ref}.{f.name} is not a {stage_type} param of the schema"
            has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            if cls.__name__ in LIBRARY:
                if f.name in defaults:
                    value = f.default if f.default is not dataclasses.MISSING else f.default_factory()
                    assert json.dumps(value, sort_keys=True) == json.dumps(defaults[f.name], sort_keys=True), f.name
            elif defaults.get(f.name) is not None:
                assert not has_default, f"{ref}.{f.name} repeats the schema default {defaults[f.name]!r}"
            elif has_default:
                assert f.default in (None, ()), f"{ref}.{f.name}: a default only the schema may give"
            else:
                assert f.name in defaults, f"{ref}.{f.name} has no default anywhere: every stage would need it"


def test_param_values_fills_schema_defaults_and_names_what_is_missing() -> None:
    @dataclasses.dataclass(frozen=True)
    class Probe:
        crf: dict
        split: str
        preset: str
        cams: str

    values = param_values(Probe, "ir_labels", {"cams": "c", "preset": None, "crf": {"gt_prob": 0.5}})
    assert values == {"cams": "c", "split": "train", "preset": "clims", "crf": {"gt_prob": 0.5, "iterations": 10}}
    assert param_values(Probe, "ir_labels", {"cams": "c", "preset": None}, nullable=("preset",))["preset"] is None
    with pytest.raises(ConfigInvalid, match="needs 'cams'"):
        param_values(Probe, "ir_labels", {})
    infer = param_values(load(PARAMS["infer_cams"][0]), "infer_cams", {"scales": [1, 2]})
    assert infer["scales"] == (1, 2)  # lists become tuples: frozen params hold no mutable list


def test_no_stage_reads_a_param_with_a_second_default() -> None:
    found = []
    for path in sorted(STAGES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "params"
                and len(node.args) > 1
            ):
                found.append(f"{path.name}:{node.lineno}")
    assert found == []


def test_a_preset_param_must_name_a_preset() -> None:
    ir_labels = load(PARAMS["ir_labels"][0])
    assert ir_labels.from_params({"cams": "c"}).thresholds() == (0.30, 0.10)  # METHOD §4.1, the CLIMS preset
    with pytest.raises(ConfigInvalid, match="unknown ir_labels preset 'nope'"):
        ir_labels.from_params({"cams": "c", "preset": "nope"})
