// Served by the lab guests of the remote-fixture pages: classes a table
// names as <guest>.<Class>. Their arguments arrive as SLIM text.
export class RemoteCounter {
  constructor(start = '0') {
    this.count = Number(start);
  }
  increment(by) {
    this.count += Number(by);
  }
  total() {
    return this.count;
  }
  where() {
    return process.env.ROC_GUEST ?? 'unknown';
  }
  boom(message) {
    throw new RangeError(message);
  }
}

export class Adder {
  setA(a) {
    this.a = Number(a);
  }
  setB(b) {
    this.b = Number(b);
  }
  sum() {
    return this.a + this.b;
  }
}
