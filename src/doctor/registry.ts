// Every doctor check, in the order the report lists them. A new check is one file in checks/ and
// one line here; its id is stable (`--json`, `--check ID`).
import { check as config } from './checks/config';
import { check as daemon } from './checks/daemon';
import { check as aliasesBindable } from './checks/aliases-bindable';
import { check as aliasesLost } from './checks/aliases-lost';
import { check as hostsResolve } from './checks/hosts-resolve';
import { check as hostsShadowed } from './checks/hosts-shadowed';
import { check as hostsSymlink } from './checks/hosts-symlink';
import { check as hostsFlags } from './checks/hosts-flags';
import { check as localhost } from './checks/localhost';
import { check as port } from './checks/port';
import { check as portSharing } from './checks/port-sharing';
import { check as ephemeralPorts } from './checks/ephemeral-ports';
import { check as ephemeralUse } from './checks/ephemeral-use';
import type { DoctorCheck } from './types';

export const CHECKS: readonly DoctorCheck[] = [
  config,
  daemon,
  aliasesBindable,
  aliasesLost,
  hostsResolve,
  hostsShadowed,
  hostsSymlink,
  hostsFlags,
  localhost,
  port,
  portSharing,
  ephemeralPorts,
  ephemeralUse,
];

export const CHECK_IDS: readonly string[] = CHECKS.map((c) => c.id);
