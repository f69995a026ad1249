"""The `frontdesk` command: parse arguments, configure logging, dispatch.

Kept thin: each sub-command lives in ``frontdesk.commands.<name>`` and is imported
here by name. Users never see a traceback: known problems print their message;
anything unexpected prints one line and asks to re-run with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys

from frontdesk import __version__
from frontdesk.config import ConfigError
from frontdesk.errors import FrontdeskError

log = logging.getLogger("frontdesk")


def command_modules() -> list[str]:
    """Every module in ``frontdesk.commands``; each registers one sub-command.

    Command modules import their heavy dependencies (MediaPipe, OpenCV, paho)
    inside their functions, so ``frontdesk --help`` stays fast.
    """
    import frontdesk.commands as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontdesk",
        description="Edge computer vision that tells counter staff when a customer waits unseen.",
    )
    parser.add_argument("--version", action="version", version=f"frontdesk {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in command_modules():
        module = importlib.import_module(f"frontdesk.commands.{name}")
        module.register(sub)
    return parser


def configure_logging(verbose: int, quiet: bool) -> None:
    # MediaPipe's C++ side and TensorFlow Lite log through absl/glog; keep them quiet,
    # and FFmpeg's decoder warnings too (frontdesk -v shows them all). The filter goes
    # first: it gives sys.stderr a descriptor of its own, which logging then writes to.
    if not verbose:
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        from frontdesk.stderr_filter import filter_native_stderr

        filter_native_stderr()
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    # A command can ask for warnings only unless -v (``demo`` prints its own progress).
    configure_logging(args.verbose, args.quiet or (getattr(args, "quiet_logs", False)
                                                   and not args.verbose))
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"frontdesk: config error: {problem}", file=sys.stderr)
        return 2
    except FrontdeskError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last guard: one line, no traceback unless asked
        if args.debug:
            raise
        print(
            f"frontdesk: internal error: {type(exc).__name__}: {exc} "
            "(re-run with --debug for details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
