// Types of remote_class.js, so host.ts gets typed proxies.
export declare class RemoteClass {
  a: number;
  b: number;
  c: number;
  constructor(a: number, b: number, c: number);
  sum(): number;
  scale(factor: number): number[];
}
