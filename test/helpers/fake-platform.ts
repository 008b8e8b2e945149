// An in-memory loopback interface behind the Platform seam, for reconciler tests that must not
// touch a real interface. It records every change request, like a fake runner records argv.
import type { AliasChangeRequest, InterfaceState, Platform } from '../../src/platform/types';

export interface FakePlatform extends Platform {
  addresses: Set<string>;
  up: boolean;
  requests: AliasChangeRequest[];
  flushes: number;
  /** Addresses whose add fails (to simulate a mid-batch failure). */
  failing: Set<string>;
}

export function fakePlatform(initial: string[] = ['127.0.0.1', '::1'], name = 'lo'): FakePlatform {
  const p: FakePlatform = {
    name: 'linux',
    addresses: new Set(initial),
    up: true,
    requests: [],
    flushes: 0,
    failing: new Set(),
    aliases: {
      interfaceName: name,
      async observe(): Promise<InterfaceState> {
        return { name, exists: true, up: p.up, addresses: [...p.addresses] };
      },
      async change(req) {
        p.requests.push(req);
        const results = [
          ...req.add.map((address) => {
            if (p.failing.has(address)) return { address, action: 'add' as const, ok: false, error: 'simulated failure' };
            p.addresses.add(address);
            return { address, action: 'add' as const, ok: true };
          }),
          ...req.remove.map((address) => {
            p.addresses.delete(address);
            return { address, action: 'remove' as const, ok: true };
          }),
        ];
        return { results, after: { name, exists: true, up: p.up, addresses: [...p.addresses] } };
      },
    },
    async flushDnsCache() {
      p.flushes++;
    },
  };
  return p;
}
