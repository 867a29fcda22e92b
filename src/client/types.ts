/**
 * Types of what crosses the wire, as the runtime really does it: every
 * method returns a promise; dates stay dates, bytes arrive as Buffers,
 * `undefined` arrives as null, instances of served classes (anything with
 * methods) stay on the agent and come back as remote proxies, and other
 * objects come back as plain data.
 */

type AnyFunction = (...args: never[]) => unknown;

type HasMethods<T> = { [K in keyof T]-?: T[K] extends AnyFunction ? K : never }[keyof T] extends never ? false : true;

/**
 * An async iterable the agent serves: `for await` pulls it in batches;
 * leaving the loop (break, throw, end) frees it on the agent. It can be
 * iterated once.
 */
export type RemoteIterable<T> = AsyncIterable<T> & AsyncDisposable;

/** A value as it arrives from the agent. */
export type Remoted<V> = V extends void | undefined
  ? null
  : V extends string | number | boolean | bigint | null
    ? V
    : V extends Date
      ? Date
      : V extends Uint8Array | ArrayBuffer
        ? Buffer
        : V extends readonly (infer E)[]
          ? Remoted<E>[]
          : V extends Map<string, infer E>
            ? { [key: string]: Remoted<E> }
            : V extends Set<infer E>
              ? Remoted<E>[]
              : V extends AsyncIterable<infer E>
                ? RemoteIterable<Remoted<E>>
                : HasMethods<V> extends true
                  ? Remote<V>
                  : V extends object
                    ? { [K in keyof V]: Remoted<V[K]> }
                    : V;

/** An argument may be the local value, or a remote proxy of an object on the same agent. */
export type Passable<T> = T | (T extends object ? Remote<T> : never);
type PassableArgs<A extends readonly unknown[]> = { [I in keyof A]: Passable<A[I]> };

export interface RemoteMethod<A extends readonly unknown[], R> {
  (...args: PassableArgs<A>): Promise<Remoted<Awaited<R>>>;
}

/** Public members of T, as they are reached remotely. */
export type Remote<T> = {
  readonly [
    K in keyof T as K extends `_${string}` | 'constructor' ? never : K extends string ? K : never
  ]: T[K] extends (...args: infer A) => infer R ? RemoteMethod<A, R> : PromiseLike<Remoted<T[K]>>;
} & AsyncDisposable;

type Constructor = abstract new (...args: never[]) => object;

/** The remote view of a module: each class becomes an async factory of remote instances, each function an async call. */
export type RemoteModule<M> = {
  readonly [K in keyof M as M[K] extends Constructor | AnyFunction ? K : never]: M[K] extends abstract new (
    ...args: infer A
  ) => infer I
    ? (...args: PassableArgs<A>) => Promise<Remote<I>>
    : M[K] extends (...args: infer A) => infer R
      ? (...args: PassableArgs<A>) => Promise<Remoted<Awaited<R>>>
      : never;
};

/** Without a module type: any name, any arguments. */
export interface UntypedRemoteModule {
  readonly [name: string]: (...args: any[]) => Promise<any>;
}
