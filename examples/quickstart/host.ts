// The host side of the quickstart, typed by the served module:
//   node dist/examples/quickstart/host.js [host] [port]
import { remoteModule, serverProxy } from 'roc-toolkit';
import type * as Served from './remote_class.js';

const [host = '127.0.0.1', port = '7007'] = process.argv.slice(2);
const proxy = serverProxy(host, Number(port));
const RModule = remoteModule<typeof Served>(proxy);

const inst = await RModule.RemoteClass(1, 2, 3); // created on the agent
console.log('sum():', await inst.sum()); // runs there: 6
console.log('scale(10):', await inst.scale(10)); // [10, 20, 30]
console.log('a:', await inst.a); // an attribute: 1
await proxy.shutdown();
console.log('the agent was asked to shut down');
proxy.close();
