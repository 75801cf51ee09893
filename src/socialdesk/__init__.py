"""socialdesk: social customer care, one inbox for public posts and private messages."""

__version__ = "0.1.0"
