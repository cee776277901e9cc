import type { ConsoleStore } from '../storage/console-store.js';

/**
 * Failed sign-ins per (client address, access key id) in a sliding window:
 * past the limit that key is refused from that address, whatever secret
 * comes next, so a secret cannot be guessed at the speed of the network.
 * Nothing else is held back: the same key from another address, or another
 * key from the same one (everyone behind one proxy or NAT), signs in as usual.
 * The failures are rows in the metadata database, so behind a load balancer
 * every node counts the same ones: spreading guesses over nodes gains nothing.
 */
export class FailedSignIns {
  constructor(
    private readonly store: ConsoleStore,
    private readonly limit = 5,
    private readonly windowMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds before this key may be tried again from this address; 0 when it may be tried now. */
  async retryAfterMs(address: string, accessKeyId: string): Promise<number> {
    const now = this.now();
    const recent = await this.store.signInFailures(address, accessKeyId, new Date(now - this.windowMs + 1), this.limit);
    const oldest = recent[this.limit - 1];
    if (oldest === undefined) return 0;
    return Math.max(1, oldest.getTime() + this.windowMs - now);
  }

  record(address: string, accessKeyId: string): Promise<void> {
    const now = this.now();
    return this.store.recordSignInFailure(address, accessKeyId, new Date(now), new Date(now - this.windowMs));
  }
}
