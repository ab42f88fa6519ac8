"""The cluster job's options and script (no SLURM needed): every value checked before it reaches a script,
the script's shape (resume, rendezvous, signals, requeue), and `bash -n` accepting it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from training_world import make_voc_root, write_config
from wsss_engine.cli import main as cli_main
from wsss_engine.cluster.options import ClusterOptions, cluster_options
from wsss_engine.cluster.sbatch_script import render_script
from wsss_engine.errors import ConfigInvalid


def test_layers_merge_later_wins_and_defaults_fill_the_rest():
    o = cluster_options({"nodes": 2, "time": "1-00:00:00"}, {"nodes": 4, "partition": None}, {"gpus_per_node": 8})
    assert (o.nodes, o.time, o.gpus_per_node, o.partition) == (4, "1-00:00:00", 8, "")
    assert o.procs == 8 and o.world_size == 32  # one torchrun process per GPU
    assert cluster_options({"procs_per_node": 4, "agents_per_node": 2}).procs == 2


@pytest.mark.parametrize(
    "layer, words",
    [
        ({"nodes": 0}, "nodes must be an integer >= 1"),
        ({"nodes": True}, "nodes must be an integer"),
        ({"time": "1 day"}, "time has an unexpected form"),
        ({"partition": "gpu; rm -rf /"}, "partition has an unexpected form"),
        ({"account": "--uid=0"}, "account has an unexpected form"),
        ({"ssh_host": "-oProxyCommand=x"}, "ssh_host has an unexpected form"),
        ({"python": "python3"}, "python must be an absolute path"),
        ({"env": {"BAD NAME": "x"}}, "env 'BAD NAME'"),
        ({"env": {"OK": "a\nb"}}, "env 'OK'"),
        ({"rendezvous_port": 80}, "rendezvous_port must be 0 or a port"),
        ({"gpu": 1}, "unknown cluster option 'gpu'"),
    ],
)
def test_bad_values_are_refused_with_the_option_named(layer, words):
    with pytest.raises(ConfigInvalid) as err:
        cluster_options(layer, where="cfg.json")
    assert words in err.value.message and err.value.message.startswith("cfg.json")


def script(options: ClusterOptions, run_dir: str = "/shared/runs/a b") -> str:
    return render_script(options, run_dir=Path(run_dir), job_name="my run!", python="/opt/venv/bin/python")


def test_the_script_resumes_the_run_with_one_torchrun_agent_per_task(tmp_path):
    text = script(cluster_options({"nodes": 2, "gpus_per_node": 4, "partition": "gpu", "env": {"A": "x y"}}))
    assert "#SBATCH --nodes=2" in text and "#SBATCH --gpus-per-node=4" in text and "#SBATCH --partition=gpu" in text
    assert "#SBATCH --ntasks-per-node=1" in text and "#SBATCH --job-name=my-run-" in text
    assert "#SBATCH --signal=B:USR1@120" in text and "#SBATCH --requeue" in text
    assert "RUN_DIR='/shared/runs/a b'" in text and "export A='x y'" in text
    assert '--nnodes="$SLURM_NTASKS"' in text and "--nproc_per_node=4" in text and "--rdzv_backend=c10d" in text
    assert '-m wsss_engine run --resume --run-dir "$RUN_DIR"' in text
    assert "scontrol requeue" in text and "trap 'request_stop timelimit' USR1" in text
    path = tmp_path / "job.sbatch"
    path.write_text(text)
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0
    assert "#SBATCH --no-requeue" in script(cluster_options({"requeue": False}))


@pytest.mark.parametrize("bad", ["relative/run", "/runs/%j", "/runs/a\nb"])
def test_run_folders_that_cannot_go_into_a_job_are_refused(bad):
    with pytest.raises(ConfigInvalid, match="cannot be used in a cluster job"):
        script(ClusterOptions(), bad)


def test_cli_script_prints_what_submit_would_write_and_checks_the_device(tmp_path, capsys):
    root = make_voc_root(tmp_path / "data", n=4)
    config = write_config(tmp_path / "c.json", root, None, [{"id": "b", "type": "baseline_cam"}])
    data = json.loads(config.read_text())
    config.write_text(json.dumps({**data, "cluster": {"nodes": 3, "time": "02:00:00"}}))
    assert (
        cli_main(["cluster", "script", "--config", str(config), "--run-dir", str(tmp_path / "r"), "--nodes", "2"]) == 0
    )
    out = capsys.readouterr().out
    assert "#SBATCH --nodes=2" in out and "#SBATCH --time=02:00:00" in out  # flag over config over default
    assert not (tmp_path / "r").exists()  # nothing created
    code = cli_main(
        ["cluster", "script", "--config", str(config), "--run-dir", str(tmp_path / "r"), "--gpus-per-node", "1"]
    )
    assert code == 1 and "device is 'cpu'" in capsys.readouterr().err


def test_through_ssh_every_argument_is_quoted_for_the_remote_shell():
    from wsss_engine.cluster.slurm import command

    assert command(["squeue", "-j", "12"]) == ["squeue", "-j", "12"]
    cmd = command(["sbatch", "--parsable", "/shared/runs/a b/job.sbatch; rm -rf ~"], "me@login")
    assert cmd[:4] == ["ssh", "-o", "BatchMode=yes", "me@login"] and len(cmd) == 5
    assert cmd[4] == "sbatch --parsable '/shared/runs/a b/job.sbatch; rm -rf ~'"
