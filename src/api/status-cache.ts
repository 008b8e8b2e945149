// GET /v1/status is serialised once per change of the daemon's state, not once per request: the
// daemon bumps a version whenever what the document shows changes (a reconcile recorded, the
// config reloaded), and the bytes for that version are kept and handed to every answer as the
// same Buffer (the socket writes it without a copy). Only `daemon` (uptime, "reconciling now")
// is rendered per request: a few hundred bytes, sent as a second buffer in the same writev.
import { statusBody, type FullStatus, type StatusQuery } from './status-view';

/** JSON already serialised: the server sends these buffers as the body, in order. */
export class SerializedJson {
  constructor(readonly chunks: readonly Buffer[]) {}
  get byteLength(): number {
    return this.chunks.reduce((n, b) => n + b.length, 0);
  }
  /** The document (tests and in-process callers). */
  parse(): unknown {
    return JSON.parse(Buffer.concat(this.chunks as Buffer[]).toString('utf8'));
  }
}

export interface StatusSource {
  /**
   * Changes whenever anything but `daemon` in status() may have changed. Asked first on every
   * request: a source that observes live (the daemon) looks here and bumps it when what it saw
   * changed.
   */
  version(): number;
  status(): FullStatus;
  /** `daemon` alone, for a request answered from the cache (default: status().daemon). */
  daemon?(): FullStatus['daemon'];
}

/** Pages cached per version besides the default document (a `status --verbose` walks them in order). */
const MAX_PAGES = 8;

export class StatusCache {
  private version = -1;
  private readonly bodies = new Map<string, Buffer>();
  /** How many times a document body was serialised (tests: once per change). */
  serializations = 0;

  constructor(private readonly source: StatusSource) {}

  render(query: StatusQuery): SerializedJson {
    const version = this.source.version();
    if (version !== this.version) {
      this.version = version;
      this.bodies.clear();
    }
    const key = query.list === null ? '' : `${query.list}:${query.offset}:${query.limit}`;
    let body = this.bodies.get(key);
    let full: FullStatus | null = null;
    if (body === undefined) {
      full = this.source.status();
      // `{"config":…}` without its opening brace: it follows `{"daemon":…,` below.
      const json = JSON.stringify(statusBody(full, query));
      body = Buffer.from(`${json.slice(1)}\n`, 'utf8');
      this.serializations++;
      if (key !== '' && this.bodies.size >= MAX_PAGES + 1) {
        for (const k of this.bodies.keys()) {
          if (k !== '') {
            this.bodies.delete(k);
            break;
          }
        }
      }
      this.bodies.set(key, body);
    }
    const daemon = full?.daemon ?? (this.source.daemon ? this.source.daemon() : this.source.status().daemon);
    const head = Buffer.from(`{"daemon":${JSON.stringify(daemon)},`, 'utf8');
    return new SerializedJson([head, body]);
  }
}
