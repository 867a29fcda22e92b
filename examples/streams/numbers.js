// Served by app1's agent: a generator the host consumes with for await.
export class Numbers {
  /** 0 .. n-1, made as the host pulls them (at most one batch ahead). */
  async *upTo(n) {
    for (let i = 0; i < n; i++) yield i;
  }
}
