export interface RateDecision {
  allowed: boolean;
  /** Seconds until the caller's window restarts (when refused). */
  retryAfterSeconds: number;
}

/** Trackers held before stale windows are swept, so one-off client addresses cannot grow memory without bound. */
const SWEEP_AT = 10_000;

/**
 * Fixed-window request counter per tracker (API key or client address), in memory: each process
 * counts its own requests, so N API processes admit up to N× the limit. A window admits `limit`
 * hits; the next starts `windowMs` after the window's first hit.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { startedAt: number; hits: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  hit(tracker: string): RateDecision {
    const now = this.now();
    if (this.windows.size >= SWEEP_AT) this.sweep(now);
    let window = this.windows.get(tracker);
    if (!window || now - window.startedAt >= this.windowMs) {
      window = { startedAt: now, hits: 0 };
      this.windows.set(tracker, window);
    }
    window.hits++;
    return { allowed: window.hits <= this.limit, retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000)) };
  }

  private sweep(now: number): void {
    for (const [tracker, window] of this.windows) if (now - window.startedAt >= this.windowMs) this.windows.delete(tracker);
  }
}
