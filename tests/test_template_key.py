"""The migrated template database is named by the source files outside the tests
(tests/conftest.py ``_schema_key``): a test's edit must not make a new one (a 30 s migration at the
start of the next run), nor the virtual environment's thousands of files be read for it."""

from __future__ import annotations

from pathlib import Path

from tests import conftest


def test_the_template_key_reads_the_project_sources_and_nothing_else(monkeypatch):
    read: list[Path] = []
    real = Path.read_bytes

    def recording(self):
        read.append(self)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", recording)
    key = conftest._schema_key()
    root = Path(conftest.__file__).resolve().parent.parent
    parts = {p.relative_to(root).parts[0] for p in read}
    assert "socialops" in parts and "inbox" in parts and "manage.py" in parts
    assert not parts & {"tests", "var", ".venv", "node_modules"}, sorted(parts)
    assert all("__pycache__" not in p.parts for p in read)
    assert conftest._schema_key() == key
