"""Drives a ROC agent the way the original python-roc client does, with the
stdlib only: ServerProxy(url, allow_none=True), classes(), create(), and
getattr(proxy, handle).method(...). Prints one JSON object of results."""
import datetime
import json
import sys
import xmlrpc.client

url = sys.argv[1]
proxy = xmlrpc.client.ServerProxy(url, allow_none=True)
out = {}


def record(name, fn):
    try:
        value = fn()
        if isinstance(value, xmlrpc.client.Binary):
            value = {"binary": value.data.decode("latin-1")}
        elif isinstance(value, xmlrpc.client.DateTime):
            value = {"datetime": value.value}
        out[name] = {"ok": value}
    except xmlrpc.client.Fault as f:
        out[name] = {"fault": f.faultCode, "string": f.faultString}
    except Exception as e:  # transport errors are failures of the test
        out[name] = {"error": "%s: %s" % (type(e).__name__, e)}


class RemoteModule:
    """What python-roc's remote_module(proxy) gives: one creator per class."""

    def __init__(self, proxy):
        for class_name in proxy.classes():
            def creator(*args, _name=class_name):
                return getattr(proxy, proxy.create(_name, args))
            setattr(self, class_name, creator)


record("classes", proxy.classes)
mod = RemoteModule(proxy)
inst = mod.RemoteClass(1, 2, 3)


def _multicall():
    mc = xmlrpc.client.MultiCall(proxy)
    mc.classes()
    mc.create("Point", [3, 4])
    return mc()


def _fault_type():
    try:
        inst.boom("x")
    except xmlrpc.client.Fault as f:
        return type(f).__name__
    return "no fault"


record("add_int", lambda: inst.add(2, 3))
record("add_float", lambda: inst.add(1.5, 2.25))
record("add_str", lambda: inst.add("foo", "bar"))
record("echo_true", lambda: inst.echo(True))
record("echo_none", lambda: inst.echo(None))
record("echo_unicode", lambda: inst.echo("unicode ü € <&> 🀜"))
record("echo_list", lambda: inst.echo([1, "two", 3.5, None, False]))
record("echo_struct", lambda: inst.echo({"k": "v", "n": {"l": [1, 2]}}))
record("echo_tuple", lambda: inst.echo((1, 2)))
record("echo_binary", lambda: inst.echo(xmlrpc.client.Binary(b"\x00\x01\xff")))
record("echo_datetime", lambda: inst.echo(datetime.datetime(2020, 1, 2, 3, 4, 5)))
record("echo_min_int", lambda: inst.echo(-2**31))
record("echo_big_string", lambda: len(inst.echo("x" * 100000)))
record("describe", inst.describe)
record("incr1", inst.incr)
record("incr2", inst.incr)
record("nothing", inst.nothing)
record("point", inst.point)
record("plain", inst.plain)
record("now_type", lambda: type(inst.now()).__name__)
record("boom", lambda: inst.boom("bad thing"))
record("private", lambda: inst._private())
record("nonexistent", lambda: proxy.nonexistent())
record("create_unknown", lambda: proxy.create("Nope", []))
record("create_no_args", lambda: proxy.create("Point"))
record("create_none_args", lambda: proxy.create("Point", None))
record("instances", proxy.instances)
record("list_methods_has_add", lambda: any(m.endswith(".add") for m in proxy.system.listMethods()))
record("method_help", lambda: proxy.system.methodHelp("create"))
record("method_signature", lambda: proxy.system.methodSignature("create"))
record("fault_with_extras_type", lambda: _fault_type())


record("multicall", lambda: list(_multicall()))
record("shutdown", proxy.shutdown)
print(json.dumps(out, default=str))
