"""Pulls a remote async iterator with nothing but Python's xmlrpc.client:
the handle the agent returns, then next(max, waitMs) until done, and
return() to end one early. Prints what it saw as JSON."""
import json
import sys
import xmlrpc.client

proxy = xmlrpc.client.ServerProxy(sys.argv[1], allow_none=True)
out = {}
numbers = proxy.create('Numbers', [])
ref = getattr(proxy, numbers).count(25)
out['ref'] = ref
it = getattr(proxy, ref['roc:handle'])
items, batches = [], 0
while True:
    batch = it.next(10, 100)
    batches += 1
    items.extend(batch['items'])
    if batch['done']:
        break
out['items'] = items
out['batches'] = batches
out['after_end'] = proxy.instances()

endless = getattr(proxy, getattr(proxy, numbers).forever(1)['roc:handle'])
out['first'] = endless.next(3, 0)
out['return'] = getattr(endless, 'return')()
out['stats'] = getattr(proxy, numbers).stats()
try:
    endless.next(3, 0)
except xmlrpc.client.Fault as f:
    out['after_return'] = {'fault': f.faultCode, 'string': f.faultString}
print(json.dumps(out))
