// The values the call-path and codec cases send: a short string; 100
// four-field structs (~30 KB of XML); and a SLIM batch of 10 calls as SLIM
// lists are (lists of strings), the shape FitNesse tables hand a fixture.
export const PAYLOADS = {
  small: 'hello world',
  medium: Array.from({ length: 100 }, (_, i) => ({
    id: i,
    name: `record ${i}`,
    score: i * 1.5,
    active: i % 2 === 0,
  })),
  slim: Array.from({ length: 10 }, (_, i) => [`s1_${i}`, 'call', 'bench', 'echoString', `hello ${i}`]),
};
