"""`frontdesk hash-password`: the web password as a salted scrypt hash, for ``web.password_env``.

    frontdesk hash-password            # asks twice (nothing echoed)
    printf '%s\\n' "$PW" | frontdesk hash-password --stdin

Put the printed ``scrypt:...`` line in the variable ``web.password_env`` names
(e.g. ``FRONTDESK_WEB_PASSWORD=scrypt:14:8:1:...`` in the service's environment
file): the password itself is then stored nowhere.
"""

from __future__ import annotations

import argparse
import getpass
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "hash-password", help="print the web password as a salted scrypt hash",
        description="Print a salted scrypt hash of the web UI password, to store in the "
        "variable web.password_env names instead of the password itself.")
    p.add_argument("--stdin", action="store_true",
                   help="read the password from the first line of standard input")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from frontdesk.errors import FrontdeskError
    from frontdesk.web.auth import MIN_PASSWORD_CHARS, hash_password

    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            password = getpass.getpass("web UI password: ")
            again = getpass.getpass("again: ")
        except EOFError:
            raise FrontdeskError("no password given (use --stdin to pipe one)") from None
        if password != again:
            raise FrontdeskError("the two passwords differ; nothing printed")
    if len(password) < MIN_PASSWORD_CHARS:
        raise FrontdeskError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    print(hash_password(password))
    return 0
