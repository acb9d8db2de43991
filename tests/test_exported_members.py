"""The public API is exactly what ``fakefiles.__all__`` says (httpx's test of the same name)."""

from __future__ import annotations

import subprocess
import sys
import types

import fakefiles


def test_all_names_resolve_and_nothing_else_is_public():
    for name in fakefiles.__all__:
        assert getattr(fakefiles, name).__name__ == name
    public = {
        name for name in dir(fakefiles)
        if not name.startswith("_") and not name.startswith("@")
        and not isinstance(getattr(fakefiles, name), types.ModuleType)  # imported submodules
    }
    assert public - set(fakefiles.__all__) <= {"annotations", "TYPE_CHECKING", "Any"}


def test_loading_the_pytest_plugin_imports_no_web_stack():
    code = "import sys, fakefiles.pytest_plugin; print('starlette' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_loading_fixtures_imports_no_web_stack():
    """The fixtures layer knows no HTTP: vendors' declarations, not their handlers."""
    code = ("import sys, fakefiles.fixtures, fakefiles.cli, fakefiles.settings; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'starlette' "
            "or m.startswith('fakefiles.vendors.') and not m.endswith(('_info', '.info', "
            "'.registry'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr or result.stdout
