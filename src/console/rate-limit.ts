/**
 * Failed sign-ins per (client address, access key id) in a sliding window:
 * past the limit that key is refused from that address, whatever secret
 * comes next, so a secret cannot be guessed at the speed of the network.
 * Nothing else is held back: the same key from another address, or another
 * key from the same one (everyone behind one proxy or NAT), signs in as usual.
 */
export class FailedSignIns {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
    /** Pairs remembered at once: the oldest is forgotten past this, so a flood cannot exhaust memory. */
    private readonly capacity = 50_000,
  ) {}

  /** Milliseconds before this key may be tried again from this address; 0 when it may be tried now. */
  retryAfterMs(address: string, accessKeyId: string): number {
    const recent = this.recent(entry(address, accessKeyId));
    if (recent.length < this.limit) return 0;
    return Math.max(1, (recent[recent.length - this.limit] ?? 0) + this.windowMs - this.now());
  }

  record(address: string, accessKeyId: string): void {
    const id = entry(address, accessKeyId);
    const recent = this.recent(id);
    recent.push(this.now());
    this.failures.delete(id);
    this.failures.set(id, recent.slice(-this.limit));
    if (this.failures.size > this.capacity) this.failures.delete(this.failures.keys().next().value ?? '');
  }

  private recent(id: string): number[] {
    const since = this.now() - this.windowMs;
    return (this.failures.get(id) ?? []).filter((t) => t > since);
  }
}

function entry(address: string, accessKeyId: string): string {
  return `${address}\n${accessKeyId}`;
}
