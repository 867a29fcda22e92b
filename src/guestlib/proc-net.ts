// Kept out of network.ts: every function an area module exports is a library method.

/** `0100007F:1F90` (IPv4) or 32 hex digits (IPv6), each 32-bit word in host (little-endian) order. */
export function parseProcAddress(hex: string): { address: string; port: number } {
  const [addr, port] = hex.split(':') as [string, string];
  const words = addr.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  let address: string;
  if (bytes.length === 4) address = bytes.join('.');
  else {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    address = groups
      .join(':')
      .replace(/(^|:)0(:0)+(:|$)/, '::')
      .replace(/:{3,}/, '::');
  }
  return { address, port: parseInt(port, 16) };
}
