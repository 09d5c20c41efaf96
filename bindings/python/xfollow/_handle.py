"""The lifetime guard of a native handle shared between threads: close() frees it only
once no call running in another thread still uses it."""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from typing import Any, Iterator, TypeVar

from . import _ffi

_G = TypeVar("_G", bound="_Guarded")


class _Guarded:
    """Base of the classes that own a handle guarded this way (Client, Plan)."""

    _kind = ""  # named in the closed-object error, e.g. "xfollow.Client"
    _lib: _ffi.Library
    _finalizer: weakref.finalize

    def _guard(self, handle: Any) -> None:
        self._handle = handle
        self._cond = threading.Condition()
        self._active = 0
        self._closed = False

    @contextmanager
    def _using(self) -> Iterator[Any]:
        """The handle, kept open until the block ends (ValueError once closed)."""
        with self._cond:
            if self._closed:
                raise ValueError(f"operation on a closed {self._kind}")
            self._active += 1
            handle = self._handle
        try:
            yield handle
        finally:
            with self._cond:
                self._active -= 1
                if self._active == 0:
                    self._cond.notify_all()

    def _call(self, fn: str, *args: Any) -> None:
        """Calls the library function `fn` with this handle and `args`."""
        with self._using() as handle:
            getattr(self._lib, fn)(handle, *args)

    def close(self) -> None:
        """Frees the handle (waits for calls running in other threads). Idempotent."""
        with self._cond:
            self._closed = True
            while self._active:
                self._cond.wait()
        self._finalizer()

    def __enter__(self: _G) -> _G:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
