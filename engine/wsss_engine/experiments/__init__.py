"""Experiments: a base run config, variants, seeds -> runs in one folder, shared work, one table
(docs/EXPERIMENTS.md). spec.py reads the file, expand.py makes each variant's run config, share.py finds the
stages identical across variants, runner.py runs and resumes them (through run_api.py, the one file that calls
the pipeline), aggregate.py and export.py make the table."""
