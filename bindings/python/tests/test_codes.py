"""The code table of xfollow.errors against the X_ERR_* defines of include/xfollow.h: the
same codes, each mapped to the class named after its constant."""

from __future__ import annotations

import re
from pathlib import Path

from xfollow import errors

HEADER = Path(__file__).resolve().parents[3] / "include" / "xfollow.h"

# Constants whose class is not named after them.
CLASS_OF = {"X_ERR_UNAUTHORIZED": "AuthError", "X_ERR_PANIC": "InternalError"}


def _header_codes() -> dict:
    found = re.findall(r"^#define (X_ERR_[A-Z_]+) (\d+)$", HEADER.read_text(), re.M)
    assert found, "no X_ERR_* define in include/xfollow.h"
    return {name: int(code) for name, code in found}


def _class_name(constant: str) -> str:
    if constant in CLASS_OF:
        return CLASS_OF[constant]
    return "".join(w.capitalize() for w in constant[len("X_ERR_"):].split("_"))


def test_every_header_code_has_its_class():
    codes = _header_codes()
    assert set(errors.ERROR_CLASSES) == set(codes.values())
    for constant, code in codes.items():
        name = errors.ERROR_CLASSES[code].__name__
        assert name in (_class_name(constant), _class_name(constant) + "Error"), constant


def test_an_unknown_code_is_the_base_class():
    assert errors.error_class(max(_header_codes().values()) + 1) is errors.XError
