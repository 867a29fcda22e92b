"""The same, from Python, as the original ROC client does it (stdlib only):
    python3 examples/quickstart/host.py [host] [port]"""
import sys
import xmlrpc.client

host, port = (sys.argv[1:] + ["127.0.0.1", "7007"])[:2] if len(sys.argv) < 3 else sys.argv[1:3]
proxy = xmlrpc.client.ServerProxy("http://%s:%s/" % (host, port), allow_none=True)
inst = getattr(proxy, proxy.create("RemoteClass", [1, 2, 3]))
print("sum():", inst.sum())
print("scale(10):", inst.scale(10))
proxy.shutdown()
print("the agent was asked to shut down")
