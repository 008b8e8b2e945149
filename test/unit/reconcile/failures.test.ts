// A failure that hits every alias of a batch (no `ip`, ip killed, the intent not recorded) is
// reported once, with the addresses it hit — not once per alias (issue 11 item 10).
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../../../src/model';
import { createPlatform } from '../../../src/platform';
import { createReconciler, failureProblems } from '../../../src/reconcile/reconciler';
import { resolveRuntime } from '../../../src/runtime';
import { fakeRunner } from '../../helpers/fake-runner';

const lo = (): NodeJS.Dict<NetworkInterfaceInfo[]> => ({
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
});

describe('failureProblems', () => {
  it('groups by action and error; names up to three addresses and how many more', () => {
    const f = (address: string, error: string, action: 'add' | 'remove' = 'add') => ({ address, action, error });
    expect(
      failureProblems([f('127.0.0.2', 'E1'), f('127.0.0.3', 'E1'), f('127.0.0.4', 'E1'), f('127.0.0.5', 'E1'), f('127.0.0.6', 'E2'), f('127.0.0.7', 'E1', 'remove')]),
    ).toEqual([
      'could not add 4 aliases (127.0.0.2, 127.0.0.3, 127.0.0.4, … (1 more)): E1',
      'could not add alias 127.0.0.6: E2',
      'could not remove alias 127.0.0.7: E1',
    ]);
    expect(failureProblems([])).toEqual([]);
  });
});

describe('a missing `ip`', () => {
  it('is one problem for 50 aliases, in the report and in the verdict', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-fail-'));
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    const runtime = resolveRuntime({ hostsFile: join(dir, 'hosts'), stateDir: join(dir, 'state'), socket: join(dir, 'sock') }, {}, 'linux');
    const runner = fakeRunner();
    const platform = createPlatform({ platform: 'linux', interfaceName: 'lo', runner, allowAliasRanges: [], ipCandidates: ['/nonexistent/ip'], networkInterfaces: lo });
    const aliases = Array.from({ length: 50 }, (_, i) => `127.0.3.${i + 1}`);
    const report = await createReconciler(runtime, { platform, runner }).reconcile({ aliases, hosts: [], settings: { ...DEFAULT_SETTINGS } }, { trigger: 'cli' });
    expect(report.result).toBe('degraded');
    const about = report.problems.filter((p) => /iproute2/.test(p));
    expect(about).toEqual([expect.stringMatching(/^could not add 50 aliases \(127\.0\.3\.1, 127\.0\.3\.2, 127\.0\.3\.3, … \(47 more\)\): the `ip` command \(iproute2\) was not found/)]);
    expect(report.aliasesInSync.message.match(/was not found/g)?.length).toBe(1);
    expect(report.aliases.filter((a) => a.state === 'failed').length).toBe(50); // each alias still says why
  });
});
