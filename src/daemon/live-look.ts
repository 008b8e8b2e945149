// The live look behind status and the drift poll: the interface's addresses through
// os.networkInterfaces() (no child process; Linux and macOS alike) and, when the hosts file moved
// since the last look, the desired names' state in it. Both are what `GET /v1/status` shows
// between reconciles (SPEC "Status is live").
import { readFileSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { DesiredHost, HostEntry } from '../model';
import { planHostsCached } from '../hosts/plan-cache';
import { addressesFromOs, type NetworkInterfacesFn } from '../platform/common';
import { nextInterval, type Look } from './drift-poll';

/** A look at or under this cost is taken fresh for every status request; a dearer one is reused. */
export const FRESH_LOOK_MAX_MS = 5;

export class LiveLook {
  private last: Look | null = null;
  private hostsKey: string | null = null;
  private hostsEntries: HostEntry[] | null = null;

  constructor(
    private readonly interfaceName: string,
    private readonly hostsFile: string,
    private readonly now: () => number = Date.now,
    private readonly list: NetworkInterfacesFn = networkInterfaces,
  ) {}

  /** A fresh look at the interface. */
  look(): Look {
    const t0 = performance.now();
    const addresses = addressesFromOs(this.list(), this.interfaceName);
    const costMs = performance.now() - t0;
    this.last = { at: this.now(), present: addresses === null ? null : new Set(addresses), costMs };
    return this.last;
  }

  /**
   * For a status request: a fresh look while looks are cheap (a few aliases: tens of
   * microseconds); for a very large interface the latest look (the poll's; its time is in the
   * document) until it is as old as the poll interval its cost allows — so status requests can
   * never multiply the cost the poll bounds, and the answer is never older than that interval.
   */
  forStatus(): Look {
    const last = this.last;
    if (last !== null && last.costMs > FRESH_LOOK_MAX_MS && this.now() - last.at < nextInterval(last.costMs)) return last;
    return this.look();
  }

  /**
   * The desired names' state in the hosts file now: read and planned only when its inode, size or
   * times changed since the last look (a stat otherwise). null when it cannot be read.
   */
  hosts(desired: readonly DesiredHost[]): HostEntry[] | null {
    let key: string;
    try {
      const st = statSync(this.hostsFile);
      key = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${desired.length}`;
    } catch {
      return null;
    }
    if (key === this.hostsKey) return this.hostsEntries;
    let entries: HostEntry[] | null;
    try {
      entries = planHostsCached(readFileSync(this.hostsFile), desired as DesiredHost[]).entries;
    } catch {
      entries = null;
    }
    this.hostsKey = key;
    this.hostsEntries = entries;
    return entries;
  }

  /** Forget the hosts look (after a reconcile wrote the file, the next status reads it again). */
  forgetHosts(): void {
    this.hostsKey = null;
  }
}
