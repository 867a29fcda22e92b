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

/** A struct as decoded: no prototype, so `__proto__` or `constructor` members are plain data. */
export interface XmlRpcStruct {
  [member: string]: XmlRpcValue;
}

export type XmlRpcValue = string | number | bigint | boolean | null | Date | Buffer | XmlRpcValue[] | XmlRpcStruct;

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const I8_MIN = -(2n ** 63n);
export const I8_MAX = 2n ** 63n - 1n;
