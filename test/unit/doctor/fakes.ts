// Fake seams for doctor checks: plain data in, no machine touched.
import { DEFAULT_SETTINGS, type DesiredState } from '../../../src/model';
import { createContext } from '../../../src/doctor/context';
import type { DoctorContext, DoctorInput, DoctorSeams } from '../../../src/doctor/types';

export function desired(partial: Partial<DesiredState> = {}): DesiredState {
  return { aliases: [], hosts: [], settings: DEFAULT_SETTINGS, ...partial };
}

export function errno(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

export const LINUX: DoctorInput = { platform: 'linux', hostsFile: '/etc/hosts', socket: '/run/loopkeeper/loopkeeper.sock', interfaceName: 'lo', ports: [] };

export function fakeSeams(over: Partial<DoctorSeams> = {}): DoctorSeams {
  return {
    loadConfig: async () => ({ files: ['/etc/loopkeeper/loopkeeper.yaml'], desired: desired(), diagnostics: [] }),
    bind: async () => undefined,
    lookup: async (name) => (name === 'localhost' ? ['127.0.0.1', '::1'] : []),
    readFile: async () => Buffer.from('127.0.0.1 localhost\n'),
    symlinkTarget: async () => null,
    health: async () => ({ status: 200, body: '{}' }),
    interfaceAddresses: () => ['127.0.0.1', '::1'],
    planHosts: () => ({ entries: [], damage: null }),
    planMachine: async () => ({ aliases: [], hosts: [], changes: [], problems: [] }),
    socketOwners: async () => new Map(),
    endianness: 'LE',
    runner: { run: async (argv) => ({ argv, code: 0, signal: null, stdout: '', stderr: '' }) },
    uptime: () => 3600,
    ...over,
  };
}

export function fakeContext(over: Partial<DoctorSeams> = {}, input: Partial<DoctorInput> = {}): DoctorContext {
  return createContext({ ...LINUX, ...input }, fakeSeams(over));
}
