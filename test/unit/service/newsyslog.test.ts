// The newsyslog drop-in, read back with newsyslog.conf(5)'s grammar.
import { DEFAULT_ROTATION, NEWSYSLOG_CONF, renderNewsyslogConf } from '../../../src/service/newsyslog';

/** newsyslog.conf(5): logfile [owner:group] mode count size when [flags [pid_file [signal]]]. */
function parseEntry(line: string) {
  const f = line.split(/[ \t]+/);
  const owner = f[1]!.includes(':') ? f.splice(1, 1)[0] : undefined;
  const [file, mode, count, size, when, flags, ...rest] = f;
  return { file, owner, mode, count, size, when, flags, rest };
}

describe('the newsyslog drop-in', () => {
  it('is one entry in newsyslog.conf(5) form: root:wheel, 644, 5 archives of 1 MiB, flags B and N, no pid file', () => {
    const text = renderNewsyslogConf('/var/log/loopkeeper.log');
    const entries = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(entries).toHaveLength(1);
    const e = parseEntry(entries[0]!);
    expect(e).toEqual({ file: '/var/log/loopkeeper.log', owner: 'root:wheel', mode: '644', count: '5', size: '1024', when: '*', flags: 'BN', rest: [] });
    // Only letters Apple's newsyslog knows (B C D G J N U Z), no compression: see newsyslog.ts.
    expect(e.flags).toMatch(/^[BCDGNU]+$/);
    expect(text.endsWith('\n')).toBe(true);
    expect(NEWSYSLOG_CONF).toBe('/etc/newsyslog.d/loopkeeper.conf');
    expect(DEFAULT_ROTATION).toEqual({ count: 5, sizeKiB: 1024 });
  });

  it('refuses a log path newsyslog would misread (relative, spaces, #)', () => {
    for (const bad of ['var/log/x.log', '/var/log/a b.log', '/var/log/a#b', '']) expect(() => renderNewsyslogConf(bad)).toThrow(/absolute/);
  });
});
