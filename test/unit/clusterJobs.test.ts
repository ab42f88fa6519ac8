// "Run on Cluster" below the UI: the real engine (EngineProcess) submits a tiny real run to a real, private
// SLURM (engine/tests/slurm_cluster.py starts Debian's slurmctld + slurmd with a minimal config), and
// ClusterJobs follows its job from the queue to COMPLETED through `cluster/status`, while the run folder
// (read by runFolder.ts) shows the run completed. Skipped without root or without slurm-wlm.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClusterJobs, describeJob, hasClusterJob, optionsFromSettings } from '../../extension/cluster/clusterJobs';
import type { EngineProcess } from '../../extension/engine/engineProcess';
import { readRunFolder } from '../../extension/runs/runFolder';
import {
  enginePython,
  engineEnv,
  engineSource,
  engineUnavailable,
  fixtures,
  newEngine,
  repoRoot,
} from './engineFixture';

const slurmScript = path.join(repoRoot, 'engine/tests/slurm_cluster.py');
const tmp = mkdtempSync(path.join(tmpdir(), 'wsss-cluster-'));

function slurm(action: 'start' | 'stop'): { conf?: string; unavailable?: string } {
  const out = execFileSync(enginePython, [slurmScript, action, path.join(tmp, 'slurm')], {
    env: engineEnv(false),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return action === 'start' ? JSON.parse(out.trim().split('\n').pop()!) : {};
}

describe('a cluster job through the engine and a real SLURM', { skip: engineUnavailable() }, () => {
  let engine: EngineProcess | undefined;
  let skipReason: string | undefined;

  before(async () => {
    const started = slurm('start');
    if (started.unavailable) {
      skipReason = started.unavailable;
      return;
    }
    engine = newEngine({ launch: { pythonPath: enginePython, env: { ...engineEnv(), SLURM_CONF: started.conf } } });
    await engine.start();
  });

  after(async () => {
    await engine?.stop();
    if (!skipReason) slurm('stop');
    rmSync(tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('settings become only the options that are set', () => {
    const base = { nodes: 0, gpusPerNode: 0, time: '', partition: '', account: '', sshHost: '', python: '' };
    assert.deepEqual(optionsFromSettings({ ...base, pollSeconds: 15 }), {});
    assert.deepEqual(optionsFromSettings({ ...base, nodes: 2, gpusPerNode: 4, partition: 'gpu', pollSeconds: 15 }), {
      nodes: 2,
      gpus_per_node: 4,
      partition: 'gpu',
    });
  });

  it('submits a tiny run, follows its job to COMPLETED, and the run folder says completed', async (t) => {
    if (skipReason || !engine) return t.skip(skipReason);
    const e = engine;
    const out = execFileSync(enginePython, [path.join(fixtures, 'make_tiny_run_config.py'), tmp, '2'], {
      env: engineEnv(false),
      encoding: 'utf8',
      timeout: 120_000,
    });
    const configPath: string = JSON.parse(out.trim().split('\n').pop()!).configPath;
    const runDir = path.join(tmp, 'runs', 'tiny');
    const env = { OMP_NUM_THREADS: '1', PYTHONPATH: engineSource };
    const { job } = await e.request('cluster/submit', { configPath, runDir, options: { time: '10:00', env } });
    assert.match(job.id, /^\d+$/);
    assert.equal(job.worldSize, 1);
    assert.ok(hasClusterJob(runDir));
    assert.equal((await readRunFolder(runDir)).record.status, 'created'); // made and checked on submit, before the job

    const jobs = new ClusterJobs(
      (m, p) => e.request(m, p),
      () => 1,
    );
    const states: string[] = [];
    const done = new Promise<void>((resolve) => {
      jobs.onDidChange(() => {
        const s = jobs.statusOf(runDir);
        if (s instanceof Error) throw s;
        if (s) states.push(s.state);
        if (s && !s.active) resolve();
      });
    });
    await jobs.refresh([runDir, tmp]); // tmp has no job: not asked about
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), 180_000)));
    await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    jobs.dispose();
    const last = jobs.statusOf(runDir);
    assert.ok(last && !(last instanceof Error));
    assert.equal(last.state, 'COMPLETED', states.join(' -> '));
    assert.equal(last.runStatus, 'completed');
    assert.equal(jobs.statusOf(tmp), undefined);
    assert.match(describeJob(last), new RegExp(`^SLURM COMPLETED · job ${job.id}$`));
    assert.equal((await readRunFolder(runDir)).record.status, 'completed');

    await assert.rejects(e.request('cluster/cancel', { runDir }), /not queued or running/);
  });
});
