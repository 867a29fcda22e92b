/**
 * SLIM symbols as FitNesse's Java server treats them: `$name` as a whole
 * argument is the stored object itself; inside text it is replaced by its
 * text (null as "null"); an undefined symbol stays as written; the longest
 * defined prefix of a name wins; lists are replaced item by item.
 */
const IN_TEXT = /\$([A-Za-z\p{L}][\w\p{L}]*)/gu;
const WHOLE = /^\$([A-Za-z\p{L}][\w\p{L}]*)$/u;

export class SymbolStore {
  private readonly values = new Map<string, unknown>();

  set(name: string, value: unknown): void {
    this.values.set(name, value);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  get(name: string): unknown {
    return this.values.get(name);
  }

  /** The stored object when `arg` is exactly `$name` of a defined symbol. */
  whole(arg: string): { found: boolean; value?: unknown } {
    const m = WHOLE.exec(arg);
    if (m && this.values.has(m[1]!)) return { found: true, value: this.values.get(m[1]!) };
    return { found: false };
  }

  /**
   * Symbols in text replaced by their text. An assignment cell (`$x=`) that
   * reaches a fixture (in a table table's rows) is replaced like any text,
   * as FitNesse 20150814's SlimService does: `$x=` stays while x is unknown,
   * so the fixture can assign it (StatementExecutorConsumer).
   */
  replaceInText(text: string): string {
    return text.replace(IN_TEXT, (all, name: string) => {
      for (let end = name.length; end > 0; end--) {
        const candidate = name.slice(0, end);
        if (this.values.has(candidate)) return textOf(this.values.get(candidate)) + name.slice(end);
      }
      return all;
    });
  }

  replace(arg: unknown): unknown {
    if (Array.isArray(arg)) return arg.map((a) => this.replace(a));
    if (typeof arg !== 'string' || !arg.includes('$')) return arg;
    const whole = this.whole(arg);
    return whole.found ? whole.value : this.replaceInText(arg);
  }
}

function textOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  return typeof value === 'string' ? value : String(value);
}
