"""Rules of thumb for the errors that have one usual cause: a missing package, a port in use,
a refused connection or token, a missing command, a value that is undefined or None...

They read the error's signature only (never the user's code), so the answer labels them as
heuristics. Each rule returns None when it does not apply; at most ``MAX_HEURISTICS`` are
given, the most specific first.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from orchestrator_tui.records import ErrorSignature, Heuristic
from orchestrator_tui.troubleshoot.signature import short_type

MAX_HEURISTICS = 2

# Import names whose package on PyPI is called otherwise.
PYPI_NAMES = {
    "cv2": "opencv-python",
    "yaml": "pyyaml",
    "PIL": "pillow",
    "sklearn": "scikit-learn",
    "bs4": "beautifulsoup4",
    "dotenv": "python-dotenv",
    "jwt": "pyjwt",
    "dateutil": "python-dateutil",
    "magic": "python-magic",
    "Crypto": "pycryptodome",
    "google.protobuf": "protobuf",
    "psycopg2": "psycopg2-binary",
    "attr": "attrs",
    "serial": "pyserial",
    "docx": "python-docx",
    "fitz": "pymupdf",
}
_PORT_RE = re.compile(r"(?:port\s+|:)(\d{2,5})\b", re.IGNORECASE)
_HOST_PORT_RE = re.compile(
    r"\b((?:localhost|127\.0\.0\.1|\[::1\]|[\w-]+(?:\.[\w-]+)*):(\d{2,5}))\b"
)

Rule = Callable[[ErrorSignature], Heuristic | None]


def _text(signature: ErrorSignature) -> str:
    return f"{signature.headline} {signature.code or ''}"


def _first_frame(signature: ErrorSignature) -> str:
    """``path:line`` of the innermost frame of the project's own code, or ""."""
    for frame in signature.frames:
        if frame.file in signature.files[:1]:
            return f"`{frame.file}:{frame.line}`" if frame.line else f"`{frame.file}`"
    return ""


def python_missing_module(signature: ErrorSignature) -> Heuristic | None:
    if short_type(signature.error_type) not in ("ModuleNotFoundError", "ImportError"):
        return None
    found = re.search(r"No module named '([^']+)'", signature.message)
    if found is None:
        if "cannot import name" not in signature.message:
            return None
        return Heuristic(
            name="python-cannot-import-name",
            cause="The module exists but does not define that name: an installed version "
            "older or newer than the code expects, a circular import, or a local file "
            "shadowing the package (a `requests.py` next to your script).",
            steps=(
                "Check the installed version: `python -m pip show <package>`, and compare with "
                "the version the code or its documentation expects.",
                "Look for a file or folder in your project with the package's name.",
                "For a circular import, move the import into the function that needs it, or "
                "the shared code into a third module.",
            ),
            prevention="Pin dependency versions in pyproject.toml or a lock file.",
        )
    module = found.group(1)
    top = module.split(".")[0]
    package = PYPI_NAMES.get(module, PYPI_NAMES.get(top, top))
    return Heuristic(
        name="python-missing-module",
        cause=f"The interpreter that ran the code cannot import `{module}`: `{package}` is "
        "not installed in that environment (often: installed in another virtual environment, "
        "or the virtual environment is not active).",
        steps=(
            'See which interpreter runs: `python -c "import sys; print(sys.executable)"`; it '
            "should be the project's `.venv`.",
            "Activate the environment (`source .venv/bin/activate`) and install into it: "
            f"`python -m pip install {package}`"
            + (
                f" (the import name `{top}` differs from the package name)"
                if package != top
                else ""
            )
            + ".",
            f"If `{top}` is your own package, run from the project root or install it in "
            "editable mode: `python -m pip install -e .`.",
        ),
        prevention=f"Declare `{package}` in pyproject.toml (or requirements.txt) and run tools "
        "through the environment: `python -m pytest`, `uv run ...`.",
    )


def node_missing_module(signature: ErrorSignature) -> Heuristic | None:
    found = re.search(
        r"(?:Cannot find (?:module|package)|Can't resolve|Failed to resolve import) '([^']+)'",
        signature.message,
    )
    if found is None:
        return None
    module = found.group(1)
    if module.startswith((".", "/")):
        return Heuristic(
            name="node-missing-file",
            cause=f"The relative import `{module}` points at no file: a wrong path, a renamed "
            "file, or a missing extension (ES modules need the `.js` in the import).",
            steps=(
                "Check the path from the importing file's folder, with the exact case "
                "(Linux file systems are case-sensitive).",
                "In an ES module, write the extension: `import x from './x.js'`.",
            ),
            prevention="Let the editor or TypeScript resolve imports, and build in CI on Linux.",
        )
    package = module if module.startswith("@") else module.split("/")[0]
    if module.startswith("@"):
        package = "/".join(module.split("/")[:2])
    return Heuristic(
        name="node-missing-module",
        cause=f"`{package}` is not installed in `node_modules` of the project that runs "
        "(dependencies not installed after a pull, another folder, or a devDependency missing "
        "in a production install).",
        steps=(
            "Install the project's dependencies from its folder: `npm install` (or `pnpm "
            "install`, `yarn`).",
            f"If it is not a dependency yet: `npm install {package}`.",
            "Check the folder the program runs from: it needs the `node_modules` next to "
            "its package.json.",
        ),
        prevention="Keep every import in package.json, commit the lock file, and use `npm ci` "
        "in CI.",
    )


def port_in_use(signature: ErrorSignature) -> Heuristic | None:
    text = _text(signature)
    if not re.search(
        r"EADDRINUSE|address already in use|Errno (?:98|48)\b|port is already allocated|"
        r"Only one usage of each socket address",
        text,
        re.IGNORECASE,
    ):
        return None
    found = _PORT_RE.search(signature.headline)
    port = found.group(1) if found else "PORT"
    return Heuristic(
        name="port-in-use",
        cause=f"Another process is already listening on port {port}: often an earlier run "
        "of the same server that is still alive, or a container.",
        steps=(
            f"Find it: `lsof -i :{port}` (macOS, Linux) or `ss -ltnp | grep {port}` (Linux).",
            "Stop that process (or `docker ps` and stop the container), or start this one on "
            "another port.",
        ),
        prevention="Make the port configurable, and stop servers cleanly (a dev server left "
        "in another terminal is the usual culprit).",
    )


def permission_denied(signature: ErrorSignature) -> Heuristic | None:
    text = _text(signature)
    if not re.search(r"Permission denied|EACCES|EPERM|PermissionError|Errno 13\b", text):
        return None
    return Heuristic(
        name="permission-denied",
        cause="The user running the program may not read, write or execute that path: files "
        "owned by root (created with sudo or by a container), a script without the execute "
        "bit, or a protected location.",
        steps=(
            "Look at the owner and mode: `ls -l <path>`.",
            "A script: `chmod +x <script>`. Files created by root in your project: "
            "`sudo chown -R $USER <folder>`.",
            "Do not install packages with sudo; use a virtual environment or a user-level "
            "prefix instead.",
        ),
        prevention="Keep build output and caches in folders your user owns; run containers "
        "with your user id when they write into the project.",
    )


def auth_refused(signature: ErrorSignature) -> Heuristic | None:
    text = _text(signature)
    status = signature.http_status
    if status not in (401, 403) and not re.search(
        r"\bUnauthorized\b|\bForbidden\b|invalid api key|incorrect api key|"
        r"authentication failed|bad credentials|invalid token|token (?:has )?expired",
        text,
        re.IGNORECASE,
    ):
        return None
    forbidden = status == 403 or "forbidden" in text.lower()
    return Heuristic(
        name="auth-refused",
        cause=(
            "The server knows who you are but refuses this: the token lacks a permission or "
            "scope, or the resource belongs to another account."
            if forbidden
            else "The request carries no valid credentials: the token is missing in the "
            "environment of the process that failed, expired or revoked, or meant for another "
            "environment (test against live)."
        ),
        steps=(
            "Check that the variable is set where the program runs, without printing it: "
            '`test -n "$API_TOKEN" && echo set`.',
            "Check the header the client sends (`Authorization: Bearer <token>`) and the base "
            "URL it sends it to.",
            "Create a new token with the permissions this call needs, if it expired or lacks them.",
        ),
        prevention="Read tokens from the environment or a secret store, check them at start-up "
        "with a cheap authenticated call, and never commit them.",
    )


def rate_limited(signature: ErrorSignature) -> Heuristic | None:
    if signature.http_status != 429 and "Too Many Requests" not in signature.headline:
        return None
    return Heuristic(
        name="rate-limited",
        cause="The server limits how many requests you may send and this client went over.",
        steps=(
            "Wait as long as the `Retry-After` header says, then retry.",
            "Retry with exponential backoff, and send fewer requests at once.",
        ),
        prevention="Cache responses, batch requests, and keep a client-side rate limit below "
        "the server's.",
    )


def connection_refused(signature: ErrorSignature) -> Heuristic | None:
    text = _text(signature)
    if not re.search(
        r"ECONNREFUSED|Connection refused|Errno 111\b|Errno 61\b|actively refused", text
    ):
        return None
    found = _HOST_PORT_RE.search(signature.headline)
    target = f"`{found.group(1)}`" if found else "that host and port"
    return Heuristic(
        name="connection-refused",
        cause=f"Nothing accepts connections at {target}: the server is not running, listens "
        "on another port or interface, or (inside a container) `localhost` is the container "
        "itself.",
        steps=(
            "Check that the server runs and on which port: `ss -ltnp` or `lsof -i -P | grep "
            "LISTEN`.",
            f"Try it by hand: `curl -v` on {target}.",
            "Between containers, use the service's name instead of `localhost`; a server "
            "listening on 127.0.0.1 is unreachable from outside its container.",
        ),
        prevention="Wait for dependencies to be ready (health checks, retries with backoff) "
        "and keep hosts and ports in configuration.",
    )


def command_not_found(signature: ErrorSignature) -> Heuristic | None:
    if signature.error_type != "command not found":
        return None
    command = signature.message.split(":")[0]
    return Heuristic(
        name="command-not-found",
        cause=f"The shell finds no `{command}` on its PATH: it is not installed, or installed "
        "where this shell does not look (a virtual environment, `node_modules/.bin`, a "
        "folder added to PATH in another shell's profile).",
        steps=(
            f"Check: `command -v {command}`.",
            "Install it, or activate the environment that has it (`source .venv/bin/activate`, "
            f"`npx {command}`).",
            "After installing, open a new shell or run `hash -r`.",
        ),
        prevention="List the tools a project needs in its README or dev dependencies, and call "
        "project tools through `npx` or `uv run` in scripts and CI.",
    )


def undefined_property(signature: ErrorSignature) -> Heuristic | None:
    found = re.search(
        r"Cannot read propert(?:y|ies) of (undefined|null)(?: \(reading '([^']+)'\))?|"
        r"undefined is not an object|(\S+) is (undefined|null)\b",
        signature.message,
    )
    if found is None or short_type(signature.error_type) != "TypeError":
        return None
    where = _first_frame(signature)
    prop = f"`.{found.group(2)}`" if found.group(2) else "a property"
    return Heuristic(
        name="undefined-property",
        cause=f"The code reads {prop} of a value that is undefined or null at that moment: "
        "data not loaded yet, a field the API left out or sent as null, or a wrong variable.",
        steps=(
            f"Look at the expression at {where or 'the top frame'} and log the value before "
            f"{prop} is read.",
            "Fix where the value comes from (a default such as `[]` in the API or schema), or "
            "guard it: `value?.items ?? []`.",
        ),
        prevention="Enable `strictNullChecks` in TypeScript and validate API responses at the "
        "boundary (zod, pydantic).",
    )


def none_attribute(signature: ErrorSignature) -> Heuristic | None:
    found = re.search(
        r"'NoneType' object (?:has no attribute '([^']+)'|is not \w+)", signature.message
    )
    if found is None:
        return None
    where = _first_frame(signature)
    return Heuristic(
        name="python-none",
        cause="A value is None where an object was expected: a function that returned nothing "
        "(no `return`, or a lookup such as `re.match` or `dict.get` that found nothing).",
        steps=(
            f"At {where or 'the innermost frame'}, find which variable is None and where it "
            "was assigned.",
            "Handle the no-result case there (raise a clear error or use a default) instead of "
            "using the value.",
        ),
        prevention="Type hints with `Optional[...]` and mypy show these paths before they run.",
    )


def rust_moved_value(signature: ErrorSignature) -> Heuristic | None:
    if signature.code != "E0382":
        return None
    name = signature.values[0] if signature.values else "the value"
    return Heuristic(
        name="rust-moved-value",
        cause=f"`{name}` was moved (passed by value, into a closure or a `for` loop) and then "
        "used again; after a move the old binding is no longer valid.",
        steps=(
            f"Borrow instead of moving: pass `&{name}` (or `&mut {name}`), or iterate over "
            f"`&{name}`.",
            f"If two owners are really needed, `{name}.clone()` (or `Rc`/`Arc` for shared "
            "ownership).",
        ),
        prevention="Take `&T`, `&[T]` or `&str` in function parameters unless the function "
        "must own the value.",
    )


def go_nil(signature: ErrorSignature) -> Heuristic | None:
    message = signature.message
    if "assignment to entry in nil map" in message:
        return Heuristic(
            name="go-nil-map",
            cause="A map declared but never created (its zero value is nil) is written to.",
            steps=(
                "Create it before writing: `m := make(map[K]V)` (or in the struct's constructor).",
            ),
            prevention="Give structs with map fields a constructor that makes them.",
        )
    if "nil pointer dereference" in message:
        return Heuristic(
            name="go-nil-pointer",
            cause="A nil pointer is used: often a value returned alongside an error that was "
            "not checked, or a struct field never set.",
            steps=(
                "Go to the first frame of your code in the goroutine trace and see which "
                "pointer is nil.",
                "Check every `err` before using the value returned with it.",
            ),
            prevention="Return errors instead of nil values, and run `go vet` and "
            "`staticcheck` in CI.",
        )
    return None


def tls_certificate(signature: ErrorSignature) -> Heuristic | None:
    if not re.search(
        r"CERTIFICATE_VERIFY_FAILED|unable to get local issuer certificate|self[- ]signed "
        r"certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|certificate has expired",
        signature.headline,
        re.IGNORECASE,
    ):
        return None
    return Heuristic(
        name="tls-certificate",
        cause="The certificate chain of the server is not trusted here: a company proxy that "
        "re-signs traffic, an outdated CA bundle, or a self-signed or expired certificate.",
        steps=(
            "Update the CA bundle (`python -m pip install -U certifi`, the OS's "
            "`ca-certificates`).",
            "Behind a proxy, point the tool at its CA: `REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE` "
            "or `NODE_EXTRA_CA_CERTS`.",
        ),
        prevention="Keep certificate verification on; configure the CA instead of disabling "
        "the check.",
    )


def disk_full(signature: ErrorSignature) -> Heuristic | None:
    if not re.search(r"No space left on device|ENOSPC|Errno 28\b", _text(signature)):
        return None
    return Heuristic(
        name="disk-full",
        cause="The disk (or, for file watchers, the inotify watch limit) is full.",
        steps=(
            "See what is full: `df -h`, then `du -sh * | sort -h` where it is.",
            "Free space (`docker system prune`, caches, old builds). For a file watcher's "
            "ENOSPC on Linux, raise `fs.inotify.max_user_watches`.",
        ),
        prevention="Clean build caches regularly and keep large data outside watched folders.",
    )


# The most specific first.
RULES: tuple[Rule, ...] = (
    python_missing_module,
    node_missing_module,
    rust_moved_value,
    go_nil,
    undefined_property,
    none_attribute,
    port_in_use,
    connection_refused,
    tls_certificate,
    disk_full,
    rate_limited,
    auth_refused,
    permission_denied,
    command_not_found,
)


def diagnose(signature: ErrorSignature) -> tuple[Heuristic, ...]:
    """The rules of thumb that apply to the error, at most MAX_HEURISTICS."""
    found: list[Heuristic] = []
    for rule in RULES:
        heuristic = rule(signature)
        if heuristic is not None:
            found.append(heuristic)
            if len(found) >= MAX_HEURISTICS:
                break
    return tuple(found)
