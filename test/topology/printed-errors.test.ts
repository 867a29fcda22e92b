import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { RemoteError } from '../../src/client/errors.js';
import { NemesisError } from '../../src/topology/index.js';
import { XmlRpcFault, newStruct } from '../../src/wire/index.js';

const refusal = (guest: string): RemoteError =>
  new RemoteError(
    { endpoint: '192.168.56.11:7007', method: 'roc.faults.block', guest },
    new XmlRpcFault(
      1,
      'FaultRefusedError: shares its stack',
      Object.assign(newStruct(), {
        name: 'FaultRefusedError',
        message: 'peer 127.0.1.12 is an address of this guest itself: use roc lab up --netns',
        stack: 'FaultRefusedError: peer\n    at block (fault-net.js:1)',
        reason: 'shared-stack',
      }),
    ),
  );

test('an uncaught NemesisError prints each reason once, its fields, and its cause in one line', () => {
  const guests = Array.from({ length: 17 }, (_, i) => `n${i + 1}`);
  const err = new NemesisError(
    'partition',
    guests.map((g) => ({ guest: g, reason: 'shared-stack', error: refusal(g) })),
    [],
  );
  assert.equal(
    err.message,
    `partition was not made: ${guests.join(', ')} refused: peer 127.0.1.12 is an address of this guest itself: use roc lab up --netns`,
  );
  assert.equal(err.refusals.length, 17, 'every refusal is still there to read');
  const printed = inspect(err);
  assert.equal(printed.split('peer 127.0.1.12').length - 1, 2, 'the sentence twice: the message and the cause');
  assert.ok(printed.split('\n').length < 25, printed);
  assert.match(printed, /\n {2}cause: 'RemoteError: roc\.faults\.block on guest n1 \(192\.168\.56\.11:7007\) failed: /);
  // A remote error prints its remote stack once, and not the fault struct that repeats it.
  const one = inspect(refusal('n1'));
  assert.equal(one.split('at block (fault-net.js:1)').length - 1, 1, 'in the stack only');
  assert.doesNotMatch(one, /faultString|\bfault:/);
  assert.equal(refusal('n1').faultString, 'FaultRefusedError: shares its stack');
});
