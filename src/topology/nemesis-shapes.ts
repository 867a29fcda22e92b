// Partition shapes, as Jepsen names them. A shape is either groups (each
// keeps its own links; links between groups are cut) or a grudge: for each
// guest, the guests whose packets it drops.

/** For each guest, the guests it no longer hears from. */
export type Grudge = Readonly<Record<string, readonly string[]>>;

/** Guests split in two: the first half (the larger when odd) and the rest. */
export function halves(names: readonly string[]): string[][] {
  const cut = Math.ceil(names.length / 2);
  return [names.slice(0, cut), names.slice(cut)];
}

/** One guest (the first, or the one named) alone; the others together. */
export function isolateOne(names: readonly string[], one: string = names[0] ?? ''): string[][] {
  return [[one], names.filter((n) => n !== one)];
}

/**
 * Every guest sees a majority, but no two guests see the same one: around
 * the ring (in the order given; shuffle it for a random ring), each guest
 * keeps the majority centred on it and drops the rest.
 */
export function majoritiesRing(names: readonly string[]): Grudge {
  const n = names.length;
  const m = Math.floor(n / 2) + 1;
  const grudge: Record<string, string[]> = {};
  for (let i = 0; i < n; i++) {
    const window = Array.from({ length: m }, (_, k) => names[(i + k) % n]!);
    const centre = window[Math.floor(m / 2)]!;
    grudge[centre] = names.filter((x) => !window.includes(x));
  }
  return grudge;
}

/** The grudge of a partition into groups: everyone drops everyone outside their group. */
export function grudgeOf(groups: readonly (readonly string[])[]): Grudge {
  const grudge: Record<string, string[]> = {};
  for (const group of groups)
    for (const name of group) grudge[name] = groups.filter((g) => g !== group).flatMap((g) => [...g]);
  return grudge;
}
