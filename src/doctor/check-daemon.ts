// The daemon answers on its socket. Without it nothing repairs drift, and on macOS the aliases are
// gone after the next reboot.
import type { CheckResult, DoctorSeams } from './types';
import { errorCode, messageOf } from './util';

export async function checkDaemon(seams: Pick<DoctorSeams, 'health'>, socket: string): Promise<CheckResult> {
  const base = { id: 'daemon', title: 'daemon' };
  try {
    const answer = await seams.health(socket);
    if (answer.status === 200) {
      return { ...base, status: 'ok', detail: `answers on ${socket}; the last reconcile converged`, data: { socket, status: 200 } };
    }
    const why = answer.status === 503 ? 'the last reconcile did not converge' : `GET /v1/health answered HTTP ${answer.status}`;
    return {
      ...base,
      status: 'warn',
      detail: `answers on ${socket}, but ${why}`,
      hints: ['`loopkeeper status` shows what is out of sync and why'],
      data: { socket, status: answer.status },
    };
  } catch (e) {
    const code = errorCode(e);
    const detail =
      code === 'ENOENT' || code === 'ECONNREFUSED'
        ? `not running: nothing listens on ${socket}`
        : code === 'EACCES'
          ? `cannot connect to ${socket}: permission denied`
          : code === 'ETIMEDOUT'
            ? `${socket} did not answer within 1 s`
            : `cannot reach ${socket}: ${messageOf(e)}`;
    return {
      ...base,
      status: 'fail',
      detail,
      hints: ['`sudo loopkeeper install` runs it as a service (`loopkeeper apply` works once without it)'],
      data: { socket, error: code },
    };
  }
}
