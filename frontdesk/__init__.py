"""frontdesk: tells counter staff when a customer is waiting unacknowledged."""

__version__ = "0.1.0"
