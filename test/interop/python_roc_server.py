"""A server that speaks the original python-roc protocol, written for these
tests with the stdlib only: SimpleXMLRPCServer (HTTP/1.0, one connection
per call, gzip above 1400 bytes), allow_none, classes()/create()/
instances()/shutdown(), and each instance's methods registered as
"<Class>_<n>.<method>". Prints its port, then serves until shutdown()."""
import collections
import sys
import threading
from xmlrpc.server import SimpleXMLRPCServer


class RemoteClass:
    def __init__(self, a, b, c):
        self.a, self.b, self.c = a, b, c

    def add(self, x, y):
        """Return x + y."""
        return x + y

    def echo(self, value):
        return value

    def describe(self):
        return {"a": self.a, "b": self.b, "c": self.c}

    def boom(self, message):
        raise ValueError(message)


class Point:
    def __init__(self, x=0, y=0):
        self.x, self.y = x, y

    def coords(self):
        return [self.x, self.y]


CLASSES = {"RemoteClass": RemoteClass, "Point": Point}


class Roc:
    def __init__(self, server):
        self.server = server
        self.made = collections.defaultdict(list)

    def classes(self):
        return list(CLASSES)

    def instances(self):
        return [name for names in self.made.values() for name in names]

    def create(self, class_name, args=None):
        obj = CLASSES[class_name](*(args or []))
        name = "%s_%d" % (class_name, len(self.made[class_name]))
        for attr in dir(obj):
            if "__" not in attr and callable(getattr(obj, attr)):
                self.server.register_function(getattr(obj, attr), name + "." + attr)
        self.made[class_name].append(name)
        return name

    def shutdown(self):
        threading.Thread(target=self.server.shutdown).start()


server = SimpleXMLRPCServer(("127.0.0.1", 0), allow_none=True, logRequests=False)
server.register_introspection_functions()
server.register_instance(Roc(server))
print(server.server_address[1], flush=True)
server.serve_forever()
