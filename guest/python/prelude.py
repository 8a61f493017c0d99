"""robosim's guest prelude: captured output, input, files, the import allowlist.

Runs once when the interpreter starts (before any snapshot is taken), in a namespace of its
own that is not a module. The robot API and the driver that runs programs are native (see
`guest/src/api.rs` and `driver.rs`); nothing here runs or reports a program, so a program
that reaches this namespace (through `sys.stdout.write.__globals__`, say) can change only how
its own later runs print or import. The host passes in `_write`, `_stdlib_source` and
`_urandom`.
"""

import sys

_ModuleType = type(sys)
_ModuleSpec = type(sys.__spec__)
_builtins = sys.modules["builtins"]


# --- Time, input, output, files --------------------------------------------------------

class _Output:
    """sys.stdout / sys.stderr: text goes to a bounded buffer in the host."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, fd, name):
        self._fd = fd
        self.name = name

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        _write(self._fd, text)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def writable(self):
        return True

    def readable(self):
        return False

    def fileno(self):
        raise OSError("robosim: program output has no file descriptor")


sys.stdout = sys.__stdout__ = _Output(1, "<stdout>")
sys.stderr = sys.__stderr__ = _Output(2, "<stderr>")
sys.stdin = sys.__stdin__ = None


def input(prompt=""):
    """There is nobody to type: like CPython with stdin at end of file."""
    if prompt:
        sys.stdout.write(str(prompt))
    raise EOFError("EOF when reading a line")


def open(file, *args, **kwargs):
    """Programs have no filesystem."""
    raise PermissionError(f"robosim: programs have no filesystem (open({file!r}))")


class _Quitter:
    """`exit()` and `quit()` (normally added by site.py, which the guest does not run)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"Use {self.name}() to exit"

    def __call__(self, code=None):
        raise SystemExit(code)


_builtins.input = input
_builtins.open = open
_builtins.exit = _Quitter("exit")
_builtins.quit = _Quitter("quit")


# --- Imports: the embedded pure-Python standard library, nothing else ----------------


def _make_os_for_stdlib():
    """A stand-in `os` for standard-library modules that import it for a constant or two.

    It has no capability: no files, no processes, an empty environment. Programs cannot
    import it (it is only in sys.modules while a library module loads); a library module
    that kept a reference (`contextlib.os`) gets nothing it could use.
    """
    os = _ModuleType("os", "robosim's stand-in: no files, no processes, no environment.")
    os.name = "posix"
    os.sep, os.altsep, os.extsep, os.pathsep = "/", None, ".", ":"
    os.curdir, os.pardir, os.linesep, os.devnull = ".", "..", "\n", "/dev/null"
    os.environ = {}
    os.error = OSError
    os.urandom = _urandom
    os.getenv = lambda key, default=None: default
    os.cpu_count = lambda: 1
    os.getpid = lambda: 1

    def fspath(path):
        if isinstance(path, (str, bytes)):
            return path
        fspath = getattr(type(path), "__fspath__", None)
        if fspath is None:
            raise TypeError(f"expected str, bytes or os.PathLike object, not {type(path).__name__}")
        return fspath(path)

    class PathLike:
        def __fspath__(self):
            raise NotImplementedError

        @classmethod
        def __subclasshook__(cls, subclass):
            return hasattr(subclass, "__fspath__") or NotImplemented

    os.fspath = fspath
    os.PathLike = PathLike

    def __getattr__(name):
        if name == "path":
            import posixpath

            os.path = posixpath
            return posixpath
        raise AttributeError(f"robosim: os.{name} is not available in the sandbox")

    os.__getattr__ = __getattr__
    return os


# Present in sys.modules only while a standard-library module is being loaded.
_STDLIB_ONLY = {"os": _make_os_for_stdlib()}


class _StdlibFinder:
    """Finds the pure-Python modules embedded in the guest (guest/stdlib.txt)."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        found = _stdlib_source(name)
        if found is None:
            return None
        spec = _ModuleSpec(name, cls, origin=f"<stdlib>/{name}", is_package=found[0])
        if found[0]:
            spec.submodule_search_locations = []
        return spec

    @classmethod
    def create_module(cls, spec):
        return None

    @classmethod
    def exec_module(cls, module):
        name = module.__spec__.name
        is_package, source = _stdlib_source(name)
        filename = f"<stdlib>/{name.replace('.', '/')}{'/__init__' if is_package else ''}.py"
        module.__file__ = filename
        code = compile(source, filename, "exec")
        added = [key for key in _STDLIB_ONLY if key not in sys.modules]
        for key in added:
            sys.modules[key] = _STDLIB_ONLY[key]
        try:
            exec(code, module.__dict__)
        finally:
            for key in added:
                sys.modules.pop(key, None)


sys.meta_path.append(_StdlibFinder)
sys.path = []
sys.path_hooks = []
sys.argv = [""]
