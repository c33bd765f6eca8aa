import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('admits `limit` hits per window and tracks callers apart', () => {
    let now = 0;
    const limiter = new RateLimiter(3, 10_000, () => now);
    expect([1, 2, 3, 4].map(() => limiter.hit('a').allowed)).toEqual([true, true, true, false]);
    expect(limiter.hit('b').allowed).toBe(true);
    now = 4_000;
    expect(limiter.hit('a')).toEqual({ allowed: false, retryAfterSeconds: 6 });
  });

  it('starts a new window once the old one is over', () => {
    let now = 0;
    const limiter = new RateLimiter(1, 1_000, () => now);
    expect(limiter.hit('a').allowed).toBe(true);
    expect(limiter.hit('a').allowed).toBe(false);
    now = 1_000;
    expect(limiter.hit('a').allowed).toBe(true);
  });
});
