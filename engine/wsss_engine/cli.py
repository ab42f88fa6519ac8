"""Command line: `python -m wsss_engine {serve,daemon,runs,run,validate-config,protocol,demo,pole-stats,make-bank,
experiment,cluster}` (also the `wsss-engine` script). `daemon` and `runs` talk to the engine daemon (daemon_cli.py).

`run` makes the same run folders as the extension, headless: progress on stderr, Ctrl-C cancels politely
(the stage saves its checkpoint; `--resume` continues), exit code 0 completed, 1 failed, 130 cancelled.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from typing import Any

from wsss_engine import __version__
from wsss_engine.errors import ConfigInvalid, EngineError
from wsss_engine.runs.stop_request import StopWatcher

EXIT_OK, EXIT_FAILED, EXIT_CANCELLED = 0, 1, 130
LOG_LEVEL_ENV = "WSSS_ENGINE_LOG_LEVEL"


# SIGUSR1: SLURM's warning before a time limit (`--signal=USR1@T` sent to the steps; docs/CLUSTER.md).
CANCEL_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wsss_engine", description="WSSS Studio engine (POLE / CLIMS).")
    parser.add_argument("--version", action="version", version=f"wsss_engine {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="JSON-RPC 2.0 server on stdin/stdout (Content-Length framing), for the extension")
    from wsss_engine.daemon_cli import add_parsers as add_daemon_parsers

    add_daemon_parsers(sub)
    run = sub.add_parser("run", help="run a config headless into a run folder, in this process")
    run.add_argument("--config", help="run config JSON (optional with --resume: the run's own config.json)")
    run.add_argument("--run-dir", required=True, help="run folder to create (or to resume)")
    run.add_argument("--resume", action="store_true", help="continue a run from its last checkpoints")
    validate = sub.add_parser("validate-config", help="check a run config against the schema and this engine")
    validate.add_argument("file")
    validate.add_argument("--json", action="store_true", help="print {valid, errors} as JSON on stdout")
    sub.add_parser("protocol", help="print the engine's protocol descriptor as JSON")
    sub.add_parser("demo", help="the main job: the whole pipeline on the SYNTHETIC world (demo --help for options)")
    stats = sub.add_parser(
        "pole-stats", help="per-class word counts of a POLE prompt selection (JSON or pickle), as JSON"
    )
    stats.add_argument("path")
    stats.add_argument("--bank", help="synonym bank JSON (needed for selections stored as prompt lists)")
    bank = sub.add_parser("make-bank", help="write a synonym bank from WordNet or word vectors (METHOD §2.1)")
    bank.add_argument("--source", choices=["wordnet", "vectors"], required=True)
    bank.add_argument("--classes", default="voc", help="'voc', comma-separated names, or a JSON list file")
    bank.add_argument("--size", type=int, default=4, help="words per class, the class name included (2-10)")
    bank.add_argument("--vectors", help="word-vector file for --source vectors (word2vec, GloVe, fastText .vec)")
    bank.add_argument(
        "--vectors-format",
        choices=["word2vec", "word2vec-binary", "fasttext", "glove"],
        help="default: detected from the file",
    )
    bank.add_argument("--wordnet", help="WordNet dict folder (default $WSSS_WORDNET_DIR or /usr/share/wordnet)")
    bank.add_argument("--sense", action="append", help="CLASS=SYNSET, e.g. cow=cattle.n.01 (repeatable)")
    bank.add_argument("--out", required=True, help="bank JSON to write (- for stdout)")
    from wsss_engine.cluster.cli import add_parser as add_cluster_parser  # torch-free

    add_cluster_parser(sub)
    from wsss_engine.experiments.cli import add_parser as add_experiment_parser

    add_experiment_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["demo"]:  # its own options: wsss_engine/synthetic/demo.py
        _configure_logging()
        from wsss_engine.synthetic.demo import main as demo_main

        return demo_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "protocol":
        from wsss_engine.rpc.protocol import descriptor

        print(json.dumps(descriptor(), indent=2))
        return EXIT_OK
    if args.command == "make-bank":
        from wsss_engine.pole.bank_sources import cli as make_bank

        try:
            return make_bank(args)
        except EngineError as exc:
            print(f"error: {exc.message}" + (f"\nhint: {exc.hint}" if exc.hint else ""), file=sys.stderr)
            return EXIT_FAILED
    if args.command == "pole-stats":
        from wsss_engine.pole.official_stats import main as pole_stats

        return pole_stats([args.path] + (["--bank", args.bank] if args.bank else []))
    _configure_logging()
    if args.command in ("daemon", "runs"):  # `daemon run` loads the plugins itself; the clients need none
        from wsss_engine.daemon_cli import main as daemon_main

        return daemon_main(args)
    from wsss_engine.plugins import load_plugins

    load_plugins()
    if args.command == "serve":
        from wsss_engine.rpc.server import serve_stdio

        return serve_stdio()
    if args.command == "validate-config":
        return _validate(args.file, args.json)
    if args.command == "cluster":
        from wsss_engine.cluster.cli import main as cluster_main, show

        try:
            show(cluster_main(args), args.json)
        except EngineError as exc:
            return _fail(exc)
        return EXIT_OK
    if args.command == "experiment":
        from wsss_engine.experiments.cli import main as experiment

        try:
            return experiment(args)
        except EngineError as exc:
            return _fail(exc)
    return _run(args.config, args.run_dir, args.resume)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (the CLI may be called in-process, e.g. by tests)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _configure_logging() -> None:
    root = logging.getLogger("wsss_engine")
    root.setLevel(os.environ.get(LOG_LEVEL_ENV, "INFO").upper())
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)


def _validate(path: str, as_json: bool) -> int:
    from wsss_engine.run_config import config_file_problems

    problems = config_file_problems(path, import_stages=False)  # no torch: starts in well under a second
    if as_json:
        print(json.dumps({"valid": not problems, "errors": problems}, indent=2))
    elif problems:
        for p in problems:
            print(f"{path}: {p['path'] or '(root)'}: {p['message']}", file=sys.stderr)
    else:
        print(f"{path}: valid run config")
    return EXIT_OK if not problems else EXIT_FAILED


class StderrProgress:
    """CLI run events (the pipeline.RunEvents methods; not a subclass, so `protocol` needs no torch import):
    one progress line per throttled update, on stderr."""

    def progress(self, stage_id: str, done: int, total: int, message: str) -> None:
        pct = f"{100 * done / total:5.1f}%" if total else "     "
        print(f"[{stage_id}] {done}/{total} {pct} {message}".rstrip(), file=sys.stderr, flush=True)

    def metrics(self, stage_id: str, step: int, values: dict[str, Any]) -> None:
        pass  # metrics.jsonl and TensorBoard have them


def _run(config: str | None, run_dir: str, resume: bool) -> int:
    from wsss_engine.pipeline import execute_run, prepare_run

    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return _run_under_torchrun(config, run_dir, resume)
    if config is None and not resume:
        return _fail(
            ConfigInvalid(
                "--config is required to start a new run", "pass --config FILE, or --resume to continue an existing run"
            )
        )
    try:
        run, loaded = prepare_run(config, run_dir, resume)
    except EngineError as exc:
        return _fail(exc)
    cancel = threading.Event()
    previous = _cancel_on_signals(cancel)
    print(f"run {run.id} in {run.path}", file=sys.stderr, flush=True)
    try:
        with StopWatcher(run.path, cancel, _announce_stop):
            status, error = execute_run(run, loaded, cancel, StderrProgress())  # type: ignore[arg-type]
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if status == "completed":
        print(f"run {run.id} completed: {run.path}", file=sys.stderr)
        return EXIT_OK
    if status == "cancelled":
        print(f"run {run.id} cancelled; continue with: --run-dir {run.path} --resume", file=sys.stderr)
        return EXIT_CANCELLED
    assert error is not None
    print(f"error: {error['message']}\nhint: {error['hint']}", file=sys.stderr)
    return EXIT_FAILED


def _run_under_torchrun(config: str | None, run_dir: str, resume: bool) -> int:
    """One rank of `torchrun ... -m wsss_engine run` (wsss_engine/distributed_run.py); rank 0 does the talking.
    A signal only cancels (torchrun forwards Ctrl-C to every rank; it kills them itself if they linger)."""
    from wsss_engine.distributed_run import run_distributed

    main_rank = os.environ.get("RANK", "0") == "0"
    if config is None and not resume:
        return (
            _fail(
                ConfigInvalid(
                    "--config is required to start a new run",
                    "pass --config FILE, or --resume to continue an existing run",
                )
            )
            if main_rank
            else 1
        )
    cancel = threading.Event()
    previous = {s: signal.signal(s, lambda *_: cancel.set()) for s in CANCEL_SIGNALS}
    try:
        with StopWatcher(run_dir, cancel, _announce_stop if main_rank else None):
            code, run_id = run_distributed(config, run_dir, resume, cancel, StderrProgress())  # type: ignore[arg-type]
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if main_rank and run_id is not None:
        end = {EXIT_OK: "completed", EXIT_CANCELLED: f"cancelled; continue with: --run-dir {run_dir} --resume"}
        print(f"run {run_id} {end.get(code, 'failed: see run.json and engine.log')} ({run_dir})", file=sys.stderr)
    return code


def _announce_stop(request: dict[str, Any]) -> None:
    print(
        f"stop requested ({request.get('reason', 'stop')}): the stage saves a checkpoint", file=sys.stderr, flush=True
    )


def _fail(exc: EngineError) -> int:
    print(f"error: {exc.message}", file=sys.stderr)
    for p in getattr(exc, "errors", []):
        print(f"  {p['path'] or '(root)'}: {p['message']}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {exc.hint}", file=sys.stderr)
    return EXIT_FAILED


def _cancel_on_signals(cancel: threading.Event) -> dict[int, Any]:
    """First Ctrl-C / SIGTERM: cancel politely (checkpoint saved). Second Ctrl-C: abort at once.
    Returns the previous handlers."""

    def on_signal(signum: int, frame: Any) -> None:
        if cancel.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        cancel.set()
        print("cancelling: the stage saves a checkpoint (Ctrl-C again aborts)", file=sys.stderr, flush=True)

    previous = {}
    for signum in CANCEL_SIGNALS:
        previous[signum] = signal.signal(signum, on_signal)
    return previous
