// The XML-RPC codec alone, for the small, medium and SLIM shapes: what a
// client encodes (a call), what an agent decodes (that call) and encodes (its
// answer), what the client decodes (the answer).
//   node bench/codec.mjs <shape> <op> <iterations>   runs one op that many times (for callgrind)
import { decodeDocument, decodeResponse, encodeCall, encodeResponse } from '../dist/src/wire/index.js';
import { PAYLOADS } from './payloads.mjs';

/** The ops, each with the bytes it reads or writes. */
export function codecOps(shape) {
  const value = PAYLOADS[shape];
  const call = encodeCall('RemoteClass_1.echo', [value]);
  const response = encodeResponse(value);
  return {
    'encode call': { bytes: Buffer.byteLength(call), run: () => encodeCall('RemoteClass_1.echo', [value]) },
    'decode call': { bytes: Buffer.byteLength(call), run: () => decodeDocument(call) },
    'encode answer': { bytes: Buffer.byteLength(response), run: () => encodeResponse(value) },
    'decode answer': { bytes: Buffer.byteLength(response), run: () => decodeResponse(response) },
  };
}

export const CODEC_SHAPES = Object.keys(PAYLOADS);
export const CODEC_WARMUP = 2000;

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const [shape, op, iterations] = process.argv.slice(2);
  const { run } = codecOps(shape)[op];
  let sink = 0;
  for (let i = 0; i < CODEC_WARMUP + Number(iterations); i++) sink += run() ? 1 : 0;
  if (sink < 0) console.log(sink);
}
