// protocol/engine.ts (ENGINE_PROTOCOL) and the engine's mirror (`python -m wsss_engine protocol`,
// engine/wsss_engine/rpc/protocol.py) must describe the same methods, keys, notifications and error codes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ENGINE_PROTOCOL, type ProtocolDescriptor } from '../../protocol/engine';
import { enginePython, engineEnv, engineUnavailable, repoRoot } from './engineFixture';

/** Order-insensitive form: every key list sorted, every map keyed in sorted order. */
function normalize(d: ProtocolDescriptor): unknown {
  const sortedEntries = <T>(o: Record<string, T>, f: (v: T) => unknown) =>
    Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, f(o[k]!)]),
    );
  return {
    methods: sortedEntries(d.methods, (m) => ({ params: [...m.params].sort(), result: [...m.result].sort() })),
    notifications: sortedEntries(d.notifications, (keys) => [...keys].sort()),
    errors: sortedEntries(d.errors, (code) => code),
  };
}

describe('engine protocol drift', { skip: engineUnavailable() }, () => {
  it('the TypeScript and Python descriptors are the same', () => {
    const printed = execFileSync(enginePython, ['-m', 'wsss_engine', 'protocol'], {
      cwd: repoRoot,
      env: engineEnv(false),
      encoding: 'utf8',
      timeout: 60_000,
    });
    const python = JSON.parse(printed) as ProtocolDescriptor;
    assert.deepEqual(
      normalize(python),
      normalize(ENGINE_PROTOCOL),
      'protocol/engine.ts and engine/wsss_engine/rpc/protocol.py differ: change both in one commit',
    );
  });

  it('the comparison notices a difference', () => {
    const changed = structuredClone(ENGINE_PROTOCOL) as unknown as ProtocolDescriptor;
    (changed.notifications['run/progress'] as string[]).pop();
    assert.notDeepEqual(normalize(changed), normalize(ENGINE_PROTOCOL));
  });
});
