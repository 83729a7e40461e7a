/**
 * A small sorted set (score, then member) for the memory backend: the same ordering Redis ZSETs use,
 * so both backends hand out jobs in the same order. Binary search over an array: fine for the memory
 * backend's scale (tests, development, one process).
 */
export class SortedSet {
  private readonly entries: { score: number; member: string }[] = [];
  private readonly scores = new Map<string, number>();

  /** Number of members. */
  get size(): number {
    return this.entries.length;
  }

  /** The member's score, or undefined when absent. */
  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** Adds the member, or moves it to its new score. */
  add(member: string, score: number): void {
    if (this.scores.has(member)) this.delete(member);
    this.entries.splice(this.indexOf(score, member), 0, { score, member });
    this.scores.set(member, score);
  }

  /** Removes the member; false when it was absent. */
  delete(member: string): boolean {
    const score = this.scores.get(member);
    if (score === undefined) return false;
    this.entries.splice(this.indexOf(score, member), 1);
    this.scores.delete(member);
    return true;
  }

  /** The lowest entry. */
  first(): { score: number; member: string } | undefined {
    return this.entries[0];
  }

  /** Members with score <= maxScore, lowest first, at most `limit`. */
  upTo(maxScore: number, limit: number): string[] {
    const out: string[] = [];
    for (const e of this.entries) {
      if (e.score > maxScore || out.length >= limit) break;
      out.push(e.member);
    }
    return out;
  }

  /** Members from `offset`, at most `limit`. */
  range(offset: number, limit: number): string[] {
    return this.entries.slice(offset, offset + limit).map((e) => e.member);
  }

  private indexOf(score: number, member: string): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.entries[mid]!;
      if (e.score < score || (e.score === score && e.member < member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
