// Remembers recently delivered (destination, event) pairs, so a retry caused by one destination does not repeat the
// others. Bounded; a restart forgets it (delivery stays at-least-once, with stable message ids).
export class DeliveredCache {
  private readonly seen = new Map<string, true>();

  constructor(private readonly capacity = 10_000) {}

  has(destination: string, eventId: string): boolean {
    return this.seen.has(`${destination}\n${eventId}`);
  }

  add(destination: string, eventId: string): void {
    const key = `${destination}\n${eventId}`;
    this.seen.delete(key);
    this.seen.set(key, true);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
  }
}
