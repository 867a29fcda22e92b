// The original ROC README's example, for JavaScript: serve it with
//   roc-agent -m examples/remote_class.js -p 7007
// and drive it from the host with remoteModule(serverProxy('127.0.0.1', 7007)).

class ValueError extends Error {
  name = 'ValueError';
}

export class Point {
  constructor(x = 0, y = 0) {
    this.x = x;
    this.y = y;
  }

  norm() {
    return Math.hypot(this.x, this.y);
  }

  translate(dx, dy) {
    return new Point(this.x + dx, this.y + dy);
  }
}

export class RemoteClass {
  constructor(a, b, c) {
    this.a = a;
    this.b = b;
    this.c = c;
    this.counter = 0;
  }

  add(x, y) {
    return x + y;
  }

  echo(value) {
    return value;
  }

  describe() {
    return { a: this.a, b: this.b, c: this.c };
  }

  incr() {
    this.counter += 1;
    return this.counter;
  }

  nothing() {}

  /** A served class: returned by reference, as a remote object. */
  point() {
    return new Point(1, 2);
  }

  /** Not a served class: returned by value, as a struct. */
  plain() {
    return new Map([
      ['x', 1],
      ['y', 2],
    ]);
  }

  now() {
    return new Date();
  }

  boom(message) {
    throw new ValueError(message);
  }

  async later(ms, value) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return value;
  }

  async fails(message) {
    await Promise.resolve();
    throw new TypeError(message);
  }

  _private() {
    return 'never reachable remotely';
  }

  static staticAnswer() {
    return 42;
  }
}

export function version() {
  return '1.0';
}
