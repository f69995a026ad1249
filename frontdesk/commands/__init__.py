"""Sub-commands. Each module has ``register(subparsers)`` adding its parser with
``set_defaults(func=...)``; the function takes the parsed args and returns an exit code."""
