// Handlers for server tests that check the transport (routing, limits, timeouts), not the
// documents: they answer with whatever shape the test needs. The documents themselves are typed
// in src/api/types.ts and tested through the daemon.
import type { ApiHandlers } from '../../src/api/server';

export function stubHandlers(handlers: { [K in keyof ApiHandlers]: (...args: never[]) => unknown }): ApiHandlers {
  return handlers as unknown as ApiHandlers;
}
