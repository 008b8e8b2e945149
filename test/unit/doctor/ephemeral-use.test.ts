import { check, judgeUse } from '../../../src/doctor/checks/ephemeral-use';
import type { DestinationUse } from '../../../src/doctor/types';
import { errno, fakeContext } from './fakes';

function dest(address: string, port: number, established: number, timeWait: number, sources = ['127.0.0.1']): DestinationUse {
  return { address, port, established, timeWait, sources };
}
const RANGE = { first: 40000, last: 41999 }; // 2,000 ports

describe('ephemeral-port use per destination', () => {
  it('ok below 1,000 connections to any destination, naming the busiest', () => {
    const r = judgeUse({ destinations: [dest('127.0.0.2', 8080, 10, 989)], source: '/proc/net/tcp', skipped: 0 }, RANGE, 'linux');
    expect(r).toMatchObject({ status: 'ok', detail: 'no destination has 1,000 or more connections now; the busiest is 127.0.0.2:8080 with 999 connections' });
  });

  it('warns above 50 % of range × source addresses, with the count split and the fixes', () => {
    const r = judgeUse({ destinations: [dest('127.0.0.2', 8080, 0, 1200)], source: '/proc/net/tcp', skipped: 0 }, RANGE, 'linux');
    expect(r.status).toBe('warn');
    expect(r.detail).toBe(
      'ephemeral ports running out for 1 destination:\n127.0.0.2:8080: 1,200 connections (0 established, 1,200 in TIME_WAIT) from 1 source address = 60 % of 2,000 (ports 40000–41999 × 1)',
    );
    expect(r.hints?.join('\n')).toMatch(/more source addresses: add aliases .*SO_REUSEADDR/);
    expect(r.hints?.join('\n')).toMatch(/net\.ipv4\.ip_local_port_range="1024 65535"/);
    expect(r.data).toMatchObject({ range: { first: 40000, last: 41999, size: 2000 }, destinations: [{ destination: '127.0.0.2:8080', connections: 1200, capacity: 2000, share: 0.6 }] });
  });

  it('fails above 80 %, ok at 50 % or below; more source addresses mean more capacity', () => {
    const table = (d: DestinationUse) => ({ destinations: [d], source: 's', skipped: 0 });
    expect(judgeUse(table(dest('[::1]', 443, 1000, 700)), RANGE, 'linux').status).toBe('fail'); // 85 %
    expect(judgeUse(table(dest('127.0.0.2', 80, 500, 500)), RANGE, 'linux').status).toBe('ok'); // 50 %
    const spread = judgeUse(table(dest('127.0.0.2', 80, 1700, 0, ['127.0.0.1', '127.0.0.5'])), RANGE, 'linux');
    expect(spread.status).toBe('ok'); // 1,700 of 4,000
    expect(spread.detail).toMatch(/= 42\.5 % of 4,000 \(ports 40000–41999 × 2\)/);
  });

  it('names the macOS sysctl on macOS', () => {
    const r = judgeUse({ destinations: [dest('127.0.0.2', 80, 1900, 0)], source: 'netstat', skipped: 0 }, RANGE, 'darwin');
    expect(r.hints?.join('\n')).toMatch(/net\.inet\.ip\.portrange\.first=1024/);
  });

  it('still lists busy destinations when the range cannot be read', () => {
    const r = judgeUse({ destinations: [dest('127.0.0.2', 80, 1000, 0)], source: 's', skipped: 2 }, { unknown: 'EACCES' }, 'linux');
    expect(r).toMatchObject({ status: 'warn', detail: '1 busy destination, but the share of capacity is unknown (EACCES):\n127.0.0.2:80: 1,000 connections' });
  });

  it('counts from the kernel table through the check: both tables, busy destinations only, skipped lines said', async () => {
    const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    const rows: string[] = [];
    for (let i = 0; i < 1200; i++) {
      const port = (40000 + i).toString(16).toUpperCase();
      rows.push(`${i}: 0100007F:${port} 0200007F:1F90 ${i < 200 ? '01' : '06'} 00000000:00000000 00:00000000 00000000 0 0 ${i < 200 ? 9000 + i : 0} 1`);
    }
    rows.push('garbage line');
    const files: Record<string, string> = {
      '/proc/net/tcp': header + rows.join('\n'),
      '/proc/sys/net/ipv4/ip_local_port_range': '40000\t41999\n',
    };
    const ctx = fakeContext({
      readFile: async (p) => {
        if (files[p] === undefined) throw errno('ENOENT');
        return Buffer.from(files[p]!);
      },
    });
    const r = (await check.run(ctx)) as { status: string; detail: string; data: { destinations: { established: number; timeWait: number }[] } };
    expect(r.status).toBe('warn');
    expect(r.detail).toMatch(/^ephemeral ports running out for 1 destination \(1 unreadable line skipped\):\n127\.0\.0\.2:8080: 1,200 connections \(200 established, 1,000 in TIME_WAIT\)/);
  });

  it('warns (never crashes) when the socket table cannot be read, and skips where it is not known', async () => {
    const r = (await check.run(fakeContext({ readFile: () => Promise.reject(errno('EACCES', 'permission denied')) }))) as { status: string; detail: string };
    expect(r).toMatchObject({ status: 'warn', detail: 'cannot read the socket table: permission denied' });
    expect(((await check.run(fakeContext({}, { platform: 'win32' }))) as { status: string }).status).toBe('skip');
  });
});
