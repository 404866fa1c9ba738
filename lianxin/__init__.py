"""lianxin (连心): a platform for party-led grassroots governance."""

__version__ = "0.1.0"
