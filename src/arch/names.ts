// Name lookup shared by every src/arch table.
//
// Feature files spell things as the SDM does ("HLT exiting", "Guest RIP"),
// step authors often use identifiers ("HLT_EXITING", "GUEST_RIP") or
// kebab-case; all of these must resolve to the same fact, and a misspelling
// must fail with a message that names the token and offers the nearest names.

/** Thrown when a token matches no registered name. */
export class UnknownNameError extends Error {
  readonly kind: string;
  readonly token: string;
  readonly suggestions: readonly string[];

  constructor(kind: string, token: string, suggestions: string[]) {
    const hint = suggestions.length > 0 ? `; did you mean: ${suggestions.map((s) => `"${s}"`).join(', ')}?` : '';
    super(`unknown ${kind} "${token}"${hint}`);
    this.name = 'UnknownNameError';
    this.kind = kind;
    this.token = token;
    this.suggestions = suggestions;
  }
}

/**
 * Thrown when a token matches names of several distinct facts (for example
 * "Load IA32_EFER" is both a VM-exit and a VM-entry control). The message lists
 * qualified spellings that do resolve.
 */
export class AmbiguousNameError extends Error {
  readonly kind: string;
  readonly token: string;
  readonly candidates: readonly string[];

  constructor(kind: string, token: string, candidates: string[]) {
    super(`ambiguous ${kind} "${token}"; it could mean: ${candidates.map((c) => `"${c}"`).join(', ')}`);
    this.name = 'AmbiguousNameError';
    this.kind = kind;
    this.token = token;
    this.candidates = candidates;
  }
}

/**
 * Canonical key for matching: case-insensitive, and blind to spaces, hyphens,
 * underscores, quotes and other punctuation, so "HLT exiting", "hlt-exiting"
 * and "HLT_EXITING" compare equal.
 */
export function normalizeName(token: string): string {
  return token.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Levenshtein distance (insert, delete, substitute all cost 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

export interface NameTableOptions<T> {
  /** How to show a value when a token is ambiguous (defaults to its first registered name). */
  describe?: (value: T) => string;
}

interface Entry<T> {
  display: string;
  key: string;
  value: T;
  hidden: boolean;
}

/**
 * A dictionary from names to values with forgiving matching.
 * Several names may map to one value. One name mapping to several distinct
 * values is allowed but makes `get` throw AmbiguousNameError; `ambiguous()`
 * lists such keys so tests can assert a table has none.
 */
export class NameTable<T> {
  readonly kind: string;
  private readonly byKey = new Map<string, Entry<T>[]>();
  private readonly entries: Entry<T>[] = [];
  private readonly describe?: (value: T) => string;

  constructor(kind: string, options: NameTableOptions<T> = {}) {
    this.kind = kind;
    this.describe = options.describe;
  }

  /**
   * Register `name` for `value`. A hidden name resolves but is never offered as
   * a suggestion and is not listed by `names()` (used for qualified variants).
   */
  add(name: string, value: T, hidden = false): void {
    const key = normalizeName(name);
    if (key.length === 0) throw new Error(`${this.kind}: cannot register an empty name`);
    const list = this.byKey.get(key);
    if (list === undefined) {
      const entry = { display: name, key, value, hidden };
      this.byKey.set(key, [entry]);
      this.entries.push(entry);
      return;
    }
    const same = list.find((e) => e.value === value);
    if (same !== undefined) {
      if (same.display !== name && !hidden) this.entries.push({ display: name, key, value, hidden });
      return;
    }
    const entry = { display: name, key, value, hidden };
    list.push(entry);
    this.entries.push(entry);
  }

  /** Resolve a token; throws UnknownNameError (with suggestions) or AmbiguousNameError. */
  get(token: string): T {
    const list = this.byKey.get(normalizeName(token));
    if (list === undefined) throw new UnknownNameError(this.kind, token, this.suggest(token));
    if (list.length > 1) {
      throw new AmbiguousNameError(
        this.kind,
        token,
        list.map((e) => (this.describe ? this.describe(e.value) : e.display)),
      );
    }
    return list[0].value;
  }

  /** Like `get`, but returns undefined for unknown and for ambiguous tokens. */
  tryGet(token: string): T | undefined {
    const list = this.byKey.get(normalizeName(token));
    return list !== undefined && list.length === 1 ? list[0].value : undefined;
  }

  has(token: string): boolean {
    return this.byKey.has(normalizeName(token));
  }

  /** Every visible registered name, in registration order, without duplicates. */
  names(): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const e of this.entries) {
      if (e.hidden || seen.has(e.display)) continue;
      seen.add(e.display);
      out.push(e.display);
    }
    return out;
  }

  /** Normalized keys that resolve to more than one value. */
  ambiguous(): string[] {
    return [...this.byKey.entries()].filter(([, l]) => l.length > 1).map(([k]) => k);
  }

  /** Up to `max` visible names closest to the token by edit distance on the normalized form. */
  suggest(token: string, max = 3): string[] {
    const key = normalizeName(token);
    const scored: { display: string; d: number; order: number }[] = [];
    const seen = new Set<string>();
    this.entries.forEach((e, order) => {
      if (e.hidden || seen.has(e.display)) return;
      seen.add(e.display);
      scored.push({ display: e.display, d: editDistance(key, e.key), order });
    });
    scored.sort((a, b) => a.d - b.d || a.order - b.order);
    return scored.slice(0, max).map((s) => s.display);
  }
}
