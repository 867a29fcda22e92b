// Served by the bench's agent: the same small items from a generator (pulled
// in batches by for await) and one call at a time.
export class Source {
  async *items(n) {
    for (let i = 0; i < n; i++) yield i;
  }

  item(i) {
    return i;
  }
}
