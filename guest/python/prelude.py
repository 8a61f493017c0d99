"""robosim's guest prelude: the robot API, captured output, the import allowlist, the runner.

Runs once when the interpreter starts (before any snapshot is taken). Everything a program can
reach is set up here; `_robosim` is the native module that talks to the host.
"""

import sys
import time

import _robosim

_ModuleType = type(sys)
_ModuleSpec = type(sys.__spec__)
_builtins = sys.modules["builtins"]


# --- The robot API -----------------------------------------------------------------------


class RobotError(Exception):
    """A robot call contradicted the world. `str(e)` reads "RobotPickError: <why>"."""

    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def _robot(function, *args):
    ok, value, message = _robosim.call(function, args)
    if ok:
        return value
    raise RobotError(value, message)


class _WorldStr(str):
    """A name the world produced (a room, the current location). Whether some text is in it
    is the world's decision: the name stands for any real room name."""

    __slots__ = ()

    def __contains__(self, item):
        if not isinstance(item, str):
            return str.__contains__(self, item)  # raises TypeError as str does
        return _robosim.contains("name", str(self), str(item))

    # Case and space changes keep the name a world name: `"office" in room.lower()`.
    def lower(self):
        return _WorldStr(str.lower(self))

    def upper(self):
        return _WorldStr(str.upper(self))

    def casefold(self):
        return _WorldStr(str.casefold(self))

    def title(self):
        return _WorldStr(str.title(self))

    def capitalize(self):
        return _WorldStr(str.capitalize(self))

    def strip(self, chars=None):
        return _WorldStr(str.strip(self, chars))

    def lstrip(self, chars=None):
        return _WorldStr(str.lstrip(self, chars))

    def rstrip(self, chars=None):
        return _WorldStr(str.rstrip(self, chars))


class _RoomList(list):
    """The list get_all_rooms() returns. Whether a name is in it is the world's decision."""

    __slots__ = ()

    def __contains__(self, item):
        if not isinstance(item, str):
            return list.__contains__(self, item)
        return _robosim.contains("rooms", [str(r) for r in self if isinstance(r, str)], str(item))


def get_current_location() -> str:
    """Returns the robot's current location."""
    return _WorldStr(_robot("get_current_location"))


def get_all_rooms() -> list:
    """Returns the names of all rooms."""
    return _RoomList(_WorldStr(room) for room in _robot("get_all_rooms"))


def is_in_room(object: str) -> bool:
    """Is the object or person in the room the robot is in?"""
    return _robot("is_in_room", object)


def go_to(location: str) -> None:
    """Goes to the location."""
    return _robot("go_to", location)


def ask(person: str, question: str, options: list) -> str:
    """Asks the person the question with these options; returns the option chosen."""
    return _robot("ask", person, question, options)


def say(message: str) -> None:
    """Says the message."""
    return _robot("say", message)


def pick(obj: str) -> None:
    """Picks up the object; the robot holds one object at a time."""
    return _robot("pick", obj)


def place(obj: str) -> None:
    """Places the object the robot holds."""
    return _robot("place", obj)


_API = {
    f.__name__: f
    for f in (get_current_location, get_all_rooms, is_in_room, go_to, ask, say, pick, place)
}

robot = _ModuleType("robot", "The robot API.")
robot.__dict__.update(_API)
robot.RobotError = RobotError
sys.modules["robot"] = robot


# --- Time, input, output, files --------------------------------------------------------

# The host's virtual clock answers every clock read (WASI clock_time_get); sleeping
# advances it without waiting.
time.sleep = _robosim.sleep


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
        _robosim.write(self._fd, text)
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
    os.urandom = _robosim.urandom
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
        found = _robosim.stdlib_source(name)
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
        is_package, source = _robosim.stdlib_source(name)
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


# --- Running one program -----------------------------------------------------------------

_PROGRAM_GLOBALS = dict(_API, time=time, sys=sys)


def _type_name(exc):
    cls = type(exc)
    if cls is RobotError:
        return "RobotError"
    module = getattr(cls, "__module__", "builtins")
    return cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"


def _describe(exc, filename, source):
    try:
        message = str(exc)
    except BaseException:
        message = "<exception str() failed>"
    lines = source.splitlines()
    line = None
    frames = ["Traceback (most recent call last):"]
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename in (__file__, "<robosim>"):
            tb = tb.tb_next
            continue
        lineno = tb.tb_lineno
        frames.append(f'  File "{code.co_filename}", line {lineno}, in {code.co_name}')
        if code.co_filename == filename:
            line = lineno
            if 0 < lineno <= len(lines):
                frames.append("    " + lines[lineno - 1].strip())
        tb = tb.tb_next
    name = _type_name(exc)
    frames.append(f"{name}: {message}" if message else name)
    robot_error = (exc.name, exc.message) if isinstance(exc, RobotError) else None
    return ("exception", name, message, line, "\n".join(frames), robot_error)


class _Baseline:
    """What a run must leave as it found it for the next run to share the instance."""

    def __init__(self):
        self.dicts = [(d, _contents(d)) for d in (sys.modules, _builtins.__dict__, robot.__dict__, time.__dict__)]
        self.sys = (sys.stdout, sys.stderr, sys.stdin, list(sys.meta_path), list(sys.path))

    def holds(self):
        return all(_same(d, contents) for d, contents in self.dicts) and (
            sys.stdout,
            sys.stderr,
            sys.stdin,
            sys.meta_path,
            sys.path,
        ) == self.sys


def _contents(d):
    return (tuple(d), tuple(d.values()))


def _same(d, contents):
    # Every key and value, in order, compared in native loops (tuple equality tries
    # identity first, so unchanged entries cost almost nothing).
    keys, values = contents
    return len(d) == len(keys) and tuple(d) == keys and tuple(d.values()) == values


_baseline = None
# The last program compiled: the paths of one program share the code object.
_compiled = (None, None, None)


def _compile(source, filename):
    global _compiled
    if _compiled[0] != source or _compiled[1] != filename:
        _compiled = (source, filename, compile(source, filename, "exec"))
    return _compiled[2]


_entries = {}


def _entry_code(entry):
    if entry not in _entries:
        _entries[entry] = compile(f"{entry}()", "<robosim>", "exec")
    return _entries[entry]


def _take_baseline():
    """Records the state runs must leave intact (before a snapshot, so runs do not pay)."""
    global _baseline
    _entry_code("task_program")  # compiled once, into the snapshot
    _baseline = _Baseline()


def _run(source, filename, entry):
    """Runs one program in a fresh namespace. Returns (pristine, outcome tuple): pristine
    when the interpreter is as the run found it, so that the instance may be reused."""
    if _baseline is None:
        _take_baseline()
    outcome = _run_program(source, filename, entry)
    try:
        pristine = _baseline.holds()
    except BaseException:
        pristine = False
    return (pristine, outcome)


def _run_program(source, filename, entry):
    namespace = dict(_PROGRAM_GLOBALS, __name__="__main__", __builtins__=_builtins)
    # `random` may have been imported (and seeded) before a snapshot was taken: seed it from
    # this run's entropy, so that runs differ by seed and repeat with it.
    if "random" in sys.modules:
        sys.modules["random"].seed(int.from_bytes(_robosim.urandom(8), "little"))
    try:
        code = _compile(source, filename)
    except SyntaxError as exc:
        return ("syntax_error", f"{type(exc).__name__}: {exc.msg}", exc.lineno, exc.offset)
    except (ValueError, TypeError) as exc:  # e.g. a NUL byte in the source
        return ("syntax_error", f"{type(exc).__name__}: {exc}", None, None)
    try:
        exec(code, namespace)
        if entry is not None:
            exec(_entry_code(entry), namespace)
    except SystemExit as exc:
        return ("exited", exc.code)
    except BaseException as exc:
        return _describe(exc, filename, source)
    return ("completed",)
