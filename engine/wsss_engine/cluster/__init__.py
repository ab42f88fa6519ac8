"""Runs on a SLURM cluster: the job's options (options.py), its sbatch script (sbatch_script.py), SLURM's
commands (slurm.py), and the run-level submit / status / cancel / resubmit (jobs.py). docs/CLUSTER.md."""
