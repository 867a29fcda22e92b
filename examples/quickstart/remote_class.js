// The original ROC README's example, for the JavaScript agent:
//   roc-agent -m examples/quickstart/remote_class.js -p 7007
export class RemoteClass {
  constructor(a, b, c) {
    this.a = a;
    this.b = b;
    this.c = c;
  }

  sum() {
    return this.a + this.b + this.c;
  }

  scale(factor) {
    return [this.a * factor, this.b * factor, this.c * factor];
  }
}
