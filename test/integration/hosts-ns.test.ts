// The writer against a real bind-mounted /etc/hosts, inside private namespaces: rename onto a
// bind mount fails with EBUSY, so the write must fall back to in place, and glibc must resolve
// the desired names from the block.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planHosts } from '../../src/hosts';
import { describeInNamespace, runInNamespace } from '../helpers/namespace';
import { REPO } from '../helpers/cli';

const ORIGINAL = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n10.1.2.3 shadowed.test\n# keep me  \n';
const DESIRED = [
  { name: 'api.myteam.test', addresses: ['127.0.0.2'] },
  { name: 'web.myteam.test', addresses: ['127.0.0.3', 'fd00::2'] },
  { name: 'shadowed.test', addresses: ['127.0.0.4'] },
];

const DRIVER = `
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const [dist, state, desiredJson] = process.argv.slice(2);
const { applyHosts } = require(dist);
const desired = JSON.parse(desiredJson);
const getent = (db, name) => spawnSync('getent', [db, name], { encoding: 'utf8' }).stdout;
(async () => {
  const out = {};
  const first = await applyHosts('/etc/hosts', desired, { stateDir: state });
  out.first = { written: first.written, method: first.method, backupPath: first.backupPath, entries: first.plan.entries };
  out.inode = fs.statSync('/etc/hosts').ino;
  out.getentApi = getent('ahosts', 'api.myteam.test');
  out.getentWeb = getent('ahosts', 'web.myteam.test');
  out.getentShadowed = getent('hosts', 'shadowed.test'); // gethostbyname: first match wins
  const mtime = fs.statSync('/etc/hosts').mtimeMs;
  const second = await applyHosts('/etc/hosts', desired, { stateDir: state });
  out.second = { written: second.written, method: second.method };
  out.mtimeUnchanged = fs.statSync('/etc/hosts').mtimeMs === mtime;
  out.afterApply = fs.readFileSync('/etc/hosts', 'latin1');
  const down = await applyHosts('/etc/hosts', null, { stateDir: state });
  out.down = { written: down.written, method: down.method };
  out.inodeAfterDown = fs.statSync('/etc/hosts').ino;
  out.getentApiAfterDown = spawnSync('getent', ['ahosts', 'api.myteam.test']).status;
  out.temps = fs.readdirSync('/etc').filter((n) => n.startsWith('.loopkeeper-tmp-'));
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describeInNamespace('applyHosts on a bind-mounted /etc/hosts', () => {
  let out: Record<string, any>;
  let hosts: string;
  beforeAll(() => {
    const dist = join(REPO, 'dist', 'hosts', 'index.js');
    readFileSync(dist); // built by `npm test` (npx tsc -p tsconfig.build.json)
    const dir = mkdtempSync(join(tmpdir(), 'lk-hosts-ns-'));
    hosts = join(dir, 'hosts');
    writeFileSync(hosts, ORIGINAL);
    writeFileSync(join(dir, 'driver.js'), DRIVER);
    const realHosts = readFileSync('/etc/hosts');
    const r = runInNamespace([process.execPath, join(dir, 'driver.js'), dist, join(dir, 'state'), JSON.stringify(DESIRED)], {
      hostsFile: hosts,
    });
    expect(readFileSync('/etc/hosts')).toEqual(realHosts); // the machine's own file is untouched
    if (r.code !== 0) throw new Error(`driver failed (${r.code}): ${r.stderr}`);
    out = JSON.parse(r.stdout);
  });

  it('falls back to an in-place write (rename onto a bind mount is EBUSY), with a backup', () => {
    expect(out.first.written).toBe(true);
    expect(out.first.method).toBe('in-place');
    expect(readFileSync(out.first.backupPath, 'latin1')).toBe(ORIGINAL);
    expect(out.afterApply).toBe(planHosts(Buffer.from(ORIGINAL), DESIRED).next!.toString('latin1'));
    expect(out.temps).toEqual([]);
  });

  it('glibc resolves the desired names from the block, in the declared order', () => {
    expect(out.getentApi.split('\n')[0]).toMatch(/^127\.0\.0\.2\s+STREAM api\.myteam\.test/);
    const webAddrs = [...new Set(out.getentWeb.trim().split('\n').map((l: string) => l.split(/\s+/)[0]))];
    expect(webAddrs).toEqual(['127.0.0.3', 'fd00::2']);
  });

  it('reports a name an earlier line maps elsewhere as shadowed, and the resolver agrees', () => {
    const e = out.first.entries.find((x: any) => x.name === 'shadowed.test');
    expect(e.state).toBe('shadowed');
    expect(e.detail).toMatch(/^line 3 maps it to 10\.1\.2\.3/);
    expect(out.getentShadowed.split('\n')[0]).toMatch(/^10\.1\.2\.3\s/);
  });

  it('a second apply writes nothing, and down restores the original in the same inode', () => {
    expect(out.second).toEqual({ written: false, method: null });
    expect(out.mtimeUnchanged).toBe(true);
    expect(out.down).toEqual({ written: true, method: 'in-place' });
    expect(out.inodeAfterDown).toBe(out.inode);
    expect(readFileSync(hosts, 'latin1')).toBe(ORIGINAL);
    expect(out.getentApiAfterDown).toBe(2); // not found any more
  });
});
