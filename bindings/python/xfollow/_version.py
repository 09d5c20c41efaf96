"""The package version: always the version of the libxfollow it is built from."""

__version__ = "0.1.0"
