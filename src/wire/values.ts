/**
 * The JavaScript side of XML-RPC's types. A number that is a whole number
 * within int32 is sent as `<int>`; wrap it in `Double` to send `<double>`
 * instead (Python then sees a float, not an int).
 */
export class Double {
  readonly value: number;
  constructor(value: number) {
    if (typeof value !== 'number') throw new TypeError(`Double needs a number, got ${typeof value}`);
    this.value = value;
  }
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return String(this.value);
  }
}

/** A struct as decoded: nothing inherited, so `__proto__` or `constructor` members are plain data. */
export interface XmlRpcStruct {
  [member: string]: XmlRpcValue;
}

/**
 * The prototype of every decoded struct: it inherits nothing (no
 * Object.prototype to pollute or shadow), and only tells node's inspect to
 * show the struct as the plain object it is, not as `[Object: null prototype]`.
 */
export const STRUCT_PROTOTYPE: object = Object.freeze(
  Object.create(null, {
    [Symbol.for('nodejs.util.inspect.custom')]: {
      value(this: XmlRpcStruct, depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
        // Own members as data properties, `__proto__` included, on an ordinary object.
        return inspect(Object.fromEntries(Object.entries(this)), { ...options, depth });
      },
    },
  }),
);

/** A new, empty decoded struct. */
export const newStruct = (): XmlRpcStruct => Object.create(STRUCT_PROTOTYPE) as XmlRpcStruct;

/** Whether a value is a struct as the decoder makes them, or a plain object. */
export function isPlainStruct(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || proto === STRUCT_PROTOTYPE;
}

export type XmlRpcValue = string | number | bigint | boolean | null | Date | Buffer | XmlRpcValue[] | XmlRpcStruct;

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const I8_MIN = -(2n ** 63n);
export const I8_MAX = 2n ** 63n - 1n;
