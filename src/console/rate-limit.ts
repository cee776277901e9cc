/**
 * Failed sign-ins per client address in a sliding window: past the limit an
 * address is told to wait, whatever credentials it tries next, so a secret
 * cannot be guessed at the speed of the network.
 */
export class FailedSignIns {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
    /** Addresses remembered at once: the oldest is forgotten past this, so a flood cannot exhaust memory. */
    private readonly capacity = 10_000,
  ) {}

  /** Milliseconds the address must wait before trying again; 0 when it may try now. */
  retryAfterMs(address: string): number {
    const recent = this.recent(address);
    if (recent.length < this.limit) return 0;
    return Math.max(1, (recent[recent.length - this.limit] ?? 0) + this.windowMs - this.now());
  }

  record(address: string): void {
    const recent = this.recent(address);
    recent.push(this.now());
    this.failures.delete(address);
    this.failures.set(address, recent.slice(-this.limit));
    if (this.failures.size > this.capacity) this.failures.delete(this.failures.keys().next().value ?? '');
  }

  private recent(address: string): number[] {
    const since = this.now() - this.windowMs;
    return (this.failures.get(address) ?? []).filter((t) => t > since);
  }
}
