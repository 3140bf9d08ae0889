"""Malformed input never crashes the scan: every unusable file is skipped with its reason.

Tests run as root, and root reads any file whatever its mode, so "unreadable" is simulated with
things that cannot be read as source whatever the permissions: a named pipe (opening it would
block, so the scan must not open it), a dangling symlink, a symlink that points at itself, and
files whose bytes are not UTF-8 text.
"""

from __future__ import annotations

import os
from pathlib import Path

from hotelmate_rt.contracts import Contract
from hotelmate_rt.scan import parse_config, scan

GOOD = 'def f(pusher_client):\n    pusher_client.trigger("hotel-x", "offer-deleted", {})\n'


def test_every_bad_file_is_skipped_with_a_reason(contract: Contract, tmp_path: Path) -> None:
    """Binary, huge, non-UTF-8, pipes and symlink loops are skipped; syntax errors are notes."""
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "broken.py").write_text("def f(:\n    pusher_client.trigger('a', 'b')\n")
    (tmp_path / "broken.jsx").write_text("const c = pusher.subscribe(`x`;\n<div>\n")
    (tmp_path / "blob.js").write_bytes(b"pusher\x00\x01\x02" * 10)
    (tmp_path / "latin1.ts").write_bytes("const s = 'caf\xe9 pusher';\n".encode("latin-1"))
    (tmp_path / "huge.py").write_text("x = 1\n" * 300_000)
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "dangling.js").symlink_to(tmp_path / "missing.js")
    (tmp_path / "self.py").symlink_to(tmp_path / "self.py")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    (tmp_path / "dir.py").mkdir()
    (tmp_path / "dir.py" / "inner.py").write_text(GOOD)
    result = scan([tmp_path], contract, parse_config({}), root=tmp_path)
    reasons = {s.file: s.reason for s in result.skipped}
    notes = {(f.file, f.line): f.message for f in result.findings if f.rule == "partial-parse"}
    assert notes[("broken.py", 1)].startswith("syntax error at line 1 (invalid syntax)")
    assert notes[("broken.jsx", 1)].startswith("syntax error near line 1")
    assert all(f.level.value == "note" for f in result.findings if f.rule == "partial-parse")
    assert reasons["blob.js"] == "binary file (contains NUL bytes)"
    assert reasons["latin1.ts"] == "not valid UTF-8 text (byte 14)"
    assert reasons["huge.py"] == "too large: over 1000000 bytes (max-file-bytes)"
    assert reasons["pipe.py"] == "not a regular file (named pipe)"
    assert reasons["dangling.js"] == "broken symlink"
    assert reasons["self.py"] == "symlink loop"
    assert reasons["sub/loop"] == "symlink loop: directory already scanned"
    assert len(reasons) == 7
    assert sorted(s.file for s in result.sites) == ["broken.py", "dir.py/inner.py", "good.py"]


def test_one_syntax_error_does_not_hide_the_rest_of_a_file(contract: Contract,
                                                          tmp_path: Path) -> None:
    """Valid JSX with a bare `&`, a broken JS line and newer Python syntax: the rest is scanned."""
    (tmp_path / "Page.jsx").write_text(
        "export const A = () => <p>Tom & Jerry</p>;\n"
        "const ch = pusher.subscribe('hotel-x');\n"
        "ch.bind('offer-created', () => {});\n")
    (tmp_path / "broken.ts").write_text(
        "const x = ;\nconst ch = pusher.subscribe('hotel-y');\n")
    (tmp_path / "new.py").write_text(
        "type Alias = int\n\n"
        "def f(pusher_client):\n"
        "    pusher_client.trigger('hotel-x', 'offer-deleted', {})\n")
    result = scan([tmp_path], contract, parse_config({}), root=tmp_path)
    assert result.skipped == []
    assert sorted((s.file, s.line, s.kind.value) for s in result.sites) == [
        ("Page.jsx", 2, "subscribe"), ("Page.jsx", 3, "bind"), ("broken.ts", 2, "subscribe"),
        ("new.py", 4, "trigger")]
    notes = sorted((f.file, f.line) for f in result.findings if f.rule == "partial-parse")
    assert notes == [("Page.jsx", 1), ("broken.ts", 1), ("new.py", 1)]


def test_unresolvable_sites_are_counted_not_dropped(contract: Contract, tmp_path: Path) -> None:
    """Sites whose names cannot be worked out are listed and counted."""
    (tmp_path / "v.py").write_text(
        "def f(pusher_client, obj):\n"
        "    pusher_client.trigger(obj.channel, obj.event, {})\n"
        "    pusher_client.trigger_batch(obj.batch)\n")
    result = scan([tmp_path], contract, parse_config({}), root=tmp_path)
    assert result.summary()["unresolved_sites"] == 2
    assert [(f.rule, f.line) for f in result.findings if f.file == "v.py"] == [
        ("unresolved-site", 2), ("unresolved-site", 3)]
    assert "obj.channel" in (result.unresolved[0].unresolved or "")


def test_symlinked_file_is_scanned_once(contract: Contract, tmp_path: Path) -> None:
    """A symlink to a file that is scanned anyway does not double its findings."""
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "alias.py").symlink_to(tmp_path / "good.py")
    result = scan([tmp_path], contract, parse_config({}), root=tmp_path)
    assert result.files_seen == 1 and len(result.sites) == 1


def test_max_file_bytes_is_configurable(contract: Contract, tmp_path: Path) -> None:
    """A smaller limit skips a file the default would scan."""
    (tmp_path / "good.py").write_text(GOOD)
    result = scan([tmp_path], contract, parse_config({"max-file-bytes": 10}), root=tmp_path)
    assert [s.reason for s in result.skipped] == ["too large: over 10 bytes (max-file-bytes)"]


def test_deep_nesting_does_not_crash(contract: Contract, tmp_path: Path) -> None:
    """A pathologically nested expression is skipped or scanned, never a crash."""
    (tmp_path / "deep.py").write_text("pusher_client.trigger(" + "(" * 5000 + "1" + ")" * 5000
                                      + ", 'e', {})\n")
    result = scan([tmp_path], contract, parse_config({}), root=tmp_path)
    assert result.files_seen == 1
