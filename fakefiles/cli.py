"""``fakefiles serve | validate | generate | verify``.

Every ``serve`` flag can also come from an environment variable (the flag wins); the one
table of both is :data:`OPTIONS` (``ENVIRONMENT`` is its ``(flag, env, help)`` view, which
the README's table is checked against). Mistakes end with one line on stderr and a non-zero
exit: 2 for bad flags, settings and fixtures, 1 for ``validate`` findings.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, NoReturn

from pydantic import ValidationError

from . import __version__
from .fixtures import FixtureError, generate_fixture, load_fixture_file
from .server import LOOPS, PARSERS
from .settings import Settings
from .store import DuplicateId
from .vendors.registry import VENDORS, bare_choices

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


class Option(NamedTuple):
    flag: str
    env: str
    help: str
    parse: Callable[[str], Any] = str
    choices: tuple[str, ...] | None = None
    repeat: bool = False  # the flag may be given again; the variable holds a list
    separators: str = ","  # between the items of a list variable

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


def _flag_value(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


OPTIONS: tuple[Option, ...] = (
    Option("--host", "FAKEFILES_HOST", "address to listen on (default 127.0.0.1)"),
    Option("--port", "FAKEFILES_PORT", "port to listen on (default 8000; 0 picks a free one)",
           int),
    Option("--fixtures", "FAKEFILES_FIXTURES", "fixture file to load at start; repeat for "
           "more (the variable: a comma- or os.pathsep-separated list)", repeat=True,
           separators="," + os.pathsep),
    Option("--v1", "FAKEFILES_V1", "vendor answering the bare /v1 prefix (default openai)",
           choices=(*bare_choices("/v1"), "none")),
    Option("--v2", "FAKEFILES_V2", "vendor answering the bare /v2 prefix (default orq)",
           choices=(*bare_choices("/v2"), "none")),
    Option("--auth", "FAKEFILES_AUTH", "permissive: any non-empty bearer key works, a missing "
           "one gets the vendor's 401 (default); strict: only --api-key keys and keys named in "
           "fixtures; none: every request, key or not",
           choices=("permissive", "strict", "none")),
    Option("--api-key", "FAKEFILES_API_KEYS", "a key accepted under --auth strict; repeat for "
           "more (the variable: comma-separated)", repeat=True),
    Option("--max-upload-bytes", "FAKEFILES_MAX_UPLOAD_BYTES", "largest request body accepted "
           "(default 536870912; larger gets the vendor's 413)", int),
    Option("--cors-origin", "FAKEFILES_CORS_ORIGINS", "origin allowed by CORS; repeat for more "
           "(the variable: comma-separated; default *)", repeat=True),
    Option("--control-origin", "FAKEFILES_CONTROL_ORIGINS", "origin whose pages may call "
           "the control API; repeat for more (the variable: comma-separated; default none)",
           repeat=True),
    Option("--admin-token", "FAKEFILES_ADMIN_TOKEN", "a token every control API call but "
           "health must send in the X-Fakefiles-Admin-Token header (default: none needed)"),
    Option("--allow-fixture-keys", "FAKEFILES_ALLOW_FIXTURE_KEYS", "let fixtures posted to "
           "/_fakefiles/fixtures add API keys and orq project keys (variable: 1 or 0)",
           _flag_value),
    Option("--journal-size", "FAKEFILES_JOURNAL_SIZE", "requests kept in the journal "
           "(default 1000)", int),
    Option("--seed", "FAKEFILES_SEED", "seed for fault probabilities, and for Faker in fixtures "
           "that set none", int),
    Option("--log-level", "FAKEFILES_LOG_LEVEL", "log level (default info)", choices=LOG_LEVELS),
    Option("--body-timeout", "FAKEFILES_BODY_TIMEOUT", "seconds a stalled request body may "
           "wait before a 408 (default 30)", float),
    Option("--access-log", "FAKEFILES_ACCESS_LOG", "log every request (variable: 1 or 0)",
           _flag_value),
    Option("--data-dir", "FAKEFILES_DATA_DIR", "keep files in this directory across restarts "
           "(default: memory only); fixtures seed it when it is new, and on reset"),
    Option("--loop", "FAKEFILES_LOOP", "event loop: auto (default: uvloop when installed, "
           "as the default install has it, else asyncio), asyncio or uvloop", choices=LOOPS),
    Option("--http", "FAKEFILES_HTTP", "HTTP parser: auto (default: httptools when installed, "
           "as the default install has it, else h11), h11 or httptools", choices=PARSERS),
)
ENVIRONMENT: list[tuple[str, str, str]] = [(o.flag, o.env, o.help) for o in OPTIONS]
_SETTINGS_FIELDS = {"fixtures": "fixtures", "api_key": "api_keys", "cors_origin": "cors_origins",
                    "control_origin": "control_origins"}


class Runtime(NamedTuple):
    """The serve options that are not the fake's settings: how uvicorn runs."""

    log_level: str = "info"
    access_log: bool = False
    loop: str = "auto"
    http: str = "auto"


class CliError(Exception):
    """One line for stderr, and the exit status."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not usage + error
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _titles() -> str:
    titles = [info.title for info in VENDORS.values()]
    return ", ".join(titles[:-1]) + " and " + titles[-1]


def build_parser() -> argparse.ArgumentParser:
    epilog = "serve flags, and the environment variable each reads (the flag wins):\n"
    for flag, env, help_text in ENVIRONMENT:
        epilog += f"  {flag:<19} {env}\n" + textwrap.fill(
            help_text, width=88, initial_indent=" " * 6, subsequent_indent=" " * 6
        ) + "\n"
    parser = _Parser(
        prog="fakefiles", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog,
        description=f"A local fake of the {_titles()} Files APIs.",
    )
    parser.add_argument("--version", action="version", version=f"fakefiles {__version__}")
    commands = parser.add_subparsers(dest="command",
                                     metavar="{serve,validate,generate,verify}")

    serve = commands.add_parser("serve", help="run the fake server",
                                description="Run the fake server until SIGTERM or Ctrl-C.")
    for option in OPTIONS:
        help_text = f"{option.help} [env {option.env}]"
        if option.parse is _flag_value:  # a bare switch; its variable says 1 or 0
            serve.add_argument(option.flag, dest=option.dest, action="store_const", const=True,
                               default=None, help=help_text)
        elif option.repeat:
            serve.add_argument(option.flag, dest=option.dest, action="append",
                               metavar=option.dest.upper(), help=help_text)
        else:
            serve.add_argument(option.flag, dest=option.dest, type=option.parse,
                               choices=option.choices,
                               metavar=None if option.choices else option.dest.upper(),
                               help=help_text)

    validate = commands.add_parser("validate", help="check fixture files without serving")
    validate.add_argument("files", nargs="+", metavar="FILE", help="fixture files (YAML or JSON)")

    generate = commands.add_parser("generate", help="print a made-up fixture set (YAML)")
    generate.add_argument("--vendor", required=True, choices=tuple(VENDORS))
    generate.add_argument("--count", type=int, default=10, help="files to make (default 10)")
    generate.add_argument("--seed", type=int, default=0, help="same seed, same output")
    generate.add_argument("--purpose", help="one purpose for every file (default: a mix)")

    verify = commands.add_parser(
        "verify", help="compare the fake with the real service, by wire shape",
        description="Run one scripted Files workflow against the vendor's real API and against "
        "the fake; compare status codes, fields, JSON types (null included) and the headers "
        "clients read, never values. What it creates on the real service it deletes. Exit 0: "
        "the same; 1: they differ; 2: it could not run.")
    verify.add_argument("--vendor", required=True, choices=tuple(VENDORS))
    verify.add_argument("--base-url", required=True,
                        help="the real API, e.g. https://api.openai.com/v1")
    verify.add_argument("--api-key", help="the real API's key (default: the vendor's variable, "
                        "OPENAI_API_KEY, IMPALA_API_KEY, VLMRUN_API_KEY or ORQ_API_KEY)")
    verify.add_argument("--fake-url", help="a running fakefiles to compare with, e.g. "
                        "http://127.0.0.1:8000/openai/v1 (default: a fresh one in-process)")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def run_verify(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    import httpx

    from .verify import KEY_VARIABLES, render, verify

    key = args.api_key or environ.get(KEY_VARIABLES[args.vendor])
    if not key:
        raise CliError(f"verify: give --api-key or set {KEY_VARIABLES[args.vendor]}")
    try:
        report = verify(args.vendor, args.base_url, key, args.fake_url)
    except httpx.HTTPError as exc:
        raise CliError(f"verify: {type(exc).__name__}: {exc}") from None
    sys.stdout.write(render(report, args.json))
    return 1 if report.differs else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            settings, runtime = settings_from(args, os.environ)
            return serve(settings, runtime)
        if args.command == "validate":
            return validate(args.files)
        if args.command == "generate":
            if not 0 <= args.count <= 10_000:
                raise CliError(f"--count: {args.count} is not between 0 and 10000")
            info = VENDORS[args.vendor]
            if args.purpose is not None and info.canonical_purpose(args.purpose) is None:
                raise CliError(f"--purpose: {info.purpose_problem(args.purpose)}")
            sys.stdout.write(generate_fixture(args.vendor, args.count, args.seed, args.purpose))
            return 0
        if args.command == "verify":
            return run_verify(args, os.environ)
        raise CliError("choose a command: serve, validate, generate or verify "
                       "(see fakefiles --help)")
    except FixtureError as exc:  # the message starts with file:line, as editors like it
        print(exc, file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"fakefiles: error: {exc}", file=sys.stderr)
        return exc.status


def settings_from(
    args: argparse.Namespace, environ: Mapping[str, str],
    given: Mapping[str, Any] | None = None,
) -> tuple[Settings, Runtime]:
    """Settings (``given`` fields winning, for ``Settings.from_env``) and runtime options from
    the flags, then the environment, then the defaults."""
    values: dict[str, Any] = {}
    given_as: dict[str, str] = {}
    for option in OPTIONS:
        value = getattr(args, option.dest, None)
        given_as[option.dest] = option.flag
        if value is None and environ.get(option.env, "").strip():
            value = _from_env(option, environ[option.env])
            given_as[option.dest] = option.env
        if value is not None:
            values[option.dest] = value
    runtime = Runtime(**{name: values.pop(name) for name in Runtime._fields if name in values})
    fields = {_SETTINGS_FIELDS.get(name, name): value for name, value in values.items()}
    for prefix in ("v1", "v2"):
        if fields.get(prefix) == "none":
            fields[prefix] = None
    fields.update(given or {})
    try:
        return Settings(**fields), runtime
    except ValidationError as exc:
        error = exc.errors()[0]
        name = next((k for k, v in _SETTINGS_FIELDS.items() if v == error["loc"][0]),
                    str(error["loc"][0]))
        raise CliError(f"{given_as.get(name, name)}: {error['msg']} "
                       f"(got {error.get('input')!r})") from None


def _from_env(option: Option, raw: str) -> Any:
    items = [raw.strip()]
    if option.repeat:
        for sep in option.separators:
            items = [part.strip() for item in items for part in item.split(sep)]
        items = [item for item in items if item]
    try:
        parsed = [option.parse(item) for item in items]
    except ValueError:
        raise CliError(f"{option.env}: invalid value {raw!r}") from None
    for item in parsed:
        if option.choices is not None and item not in option.choices:
            raise CliError(f"{option.env}: {item!r} is not one of {', '.join(option.choices)}")
    return parsed if option.repeat else parsed[0]


def serve(settings: Settings, runtime: Runtime | None = None) -> int:
    import uvicorn

    from .app import create_app, quiet_dropped_connections
    from .fake import Fake
    from .persist import DataDirError
    from .server import listening_socket, missing_stack, uvicorn_config

    runtime = runtime or Runtime()
    problem = missing_stack(runtime.loop, runtime.http)
    if problem is not None:
        raise CliError(problem)
    try:  # loads settings.fixtures (a resumed data directory keeps its own files)
        fake = Fake(settings)
    except (DataDirError, DuplicateId) as exc:
        raise CliError(str(exc)) from None
    app = create_app(fake=fake)
    try:
        sock = listening_socket(settings.host, settings.port)
    except OSError as exc:
        raise CliError(f"cannot listen on {settings.host}:{settings.port}: "
                       f"{exc.strerror or exc}", 1) from None
    logging.basicConfig(level=runtime.log_level.upper(),
                        format="%(levelname)s: %(name)s: %(message)s")
    server = uvicorn.Server(uvicorn_config(
        app, loop=runtime.loop, http=runtime.http, log_level=runtime.log_level,
        access_log=runtime.access_log,
    ))
    quiet_dropped_connections()  # after uvicorn has configured its loggers
    # A wildcard address listens everywhere but cannot be browsed to: show localhost instead.
    host = {"0.0.0.0": "localhost", "::": "localhost", "": "localhost"}.get(
        settings.host, f"[{settings.host}]" if ":" in settings.host else settings.host
    )
    files = sum(1 for _ in fake.store.records())
    text = banner(f"http://{host}:{sock.getsockname()[1]}", settings, files, app.state.mounts)
    if settings.data_dir is not None:
        text += f"\n  data: {settings.data_dir} ({'resumed' if fake.resumed else 'new'})"
    print(text, flush=True)
    # uvicorn handles SIGTERM and Ctrl-C while it runs, then re-raises the signal; handled
    # here too, they end the process quietly with status 0 (not a KeyboardInterrupt
    # traceback), and one that arrives before uvicorn's handlers are in place still stops it.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: setattr(server, "should_exit", True))
    server.run(sockets=[sock])
    return 0


def banner(origin: str, settings: Settings, files: int, mounts: Sequence[tuple[str, Any]]) -> str:
    """Where to point each SDK, one line per mounted prefix (bare /v1 and /v2: "… also")."""
    from .app import sdk_base_url

    lines = [f"fakefiles {__version__} on {origin} ({files} files; auth {settings.auth})"]
    named: set[str] = set()
    for prefix, vendor in mounts:
        label = f"{vendor.name} also" if vendor.name in named else vendor.name
        named.add(vendor.name)
        url = sdk_base_url(origin, prefix, vendor)
        param = vendor.info.sdk_url_param  # orq's SDK takes server_url, not a base URL
        lines.append(f"  {label}: {param}={url}" if param else f"  {label}: {url}")
    lines.append(f"  control: {origin}/_fakefiles/")
    return "\n".join(lines)


def validate(files: Sequence[str]) -> int:
    from .fake import Fake

    status, seeds = 0, []
    for name in files:
        try:
            seed = load_fixture_file(name)
        except FixtureError as exc:
            print(exc, file=sys.stderr)
            status = 1
            continue
        seeds.append(seed)
        data = "".join(f"{len(seed.vendor_data.get(vendor, []))} {vendor} {info.seed_kind}, "
                       for vendor, info in VENDORS.items()
                       if info.seed_kind and seed.vendor_data.get(vendor))
        print(f"ok: {len(seed.records)} files, {data}{len(seed.faults)} faults, "
              f"{len(seed.api_keys)} api keys ({name})")
    fake = Fake()
    for seed in seeds if status == 0 else []:  # together, the files must not share an id
        try:
            fake.load(seed)
        except DuplicateId as exc:
            print(f"{seed.source}: {exc} (an earlier file has this id)", file=sys.stderr)
            status = 1
    return status
