"""The Python side of the benchmarks, stdlib only.

server PORT: a SimpleXMLRPCServer speaking the ROC protocol (classes,
  create, <handle>.echo/.records) over HTTP/1.1 keep-alive, as the original
  ROC's stack can be made to; prints its port.
client URL CASE N WARMUP: times N calls of CASE (small or medium) through
  xmlrpc.client (the original ROC client's transport) and prints JSON
  latencies in microseconds.
"""
import json
import sys
import time
import xmlrpc.client
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer


class KeepAlive(SimpleXMLRPCRequestHandler):
    protocol_version = "HTTP/1.1"


class Bench:
    def echo(self, s):
        return s

    def records(self, rows):
        return rows


def serve(port):
    server = SimpleXMLRPCServer(("127.0.0.1", port), requestHandler=KeepAlive, allow_none=True, logRequests=False)
    made = []

    def classes():
        return ["Bench"]

    def create(name, args=None):
        handle = "Bench_%d" % len(made)
        obj = Bench()
        made.append(obj)
        server.register_function(obj.echo, handle + ".echo")
        server.register_function(obj.records, handle + ".records")
        return handle

    server.register_function(classes)
    server.register_function(create)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def medium():
    return [{"id": i, "name": "record %d" % i, "score": i * 1.5, "active": i % 2 == 0} for i in range(100)]


def client(url, case, n, warmup):
    proxy = xmlrpc.client.ServerProxy(url, allow_none=True)
    # argv[6]: the class to create (RemoteClass on a ROC agent, Bench on the Python server)
    handle = proxy.create(sys.argv[6] if len(sys.argv) > 6 else "Bench", [1, 2, 3])
    target = getattr(proxy, handle)
    rows = medium()
    call = (lambda: target.echo("hello world")) if case == "small" else (lambda: target.echo(rows))
    for _ in range(warmup):
        call()
    out = []
    for _ in range(n):
        t = time.perf_counter_ns()
        call()
        out.append((time.perf_counter_ns() - t) / 1000)
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(int(sys.argv[2]))
    else:
        client(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
