"""The caches as a folder of per-process SQLite files: each process writes only its own file (no
WAL, no shared database on network storage) and finds what any process wrote."""
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from muri_gen.translation.cache import TranslationCache, cache_key

REPO = Path(__file__).resolve().parent.parent


def write_in_another_process(folder: Path, rows: list[tuple], then: str = "cache.close()") -> None:
    code = textwrap.dedent(f"""\
        from pathlib import Path
        from muri_gen.translation.cache import TranslationCache
        cache = TranslationCache(Path({str(folder)!r}))
        cache.put_many({rows!r})
        """) + then
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    subprocess.run([sys.executable, "-c", code], check=then == "cache.close()", env=env, timeout=120)


def row(src: str, text: str, translation: str) -> tuple:
    return (cache_key("apertium", "es-en", src, "eng", text), "apertium", "es-en", src, "eng", translation)


def test_each_process_writes_its_own_file_and_reads_all(tmp_path):
    folder = tmp_path / "translations"
    reader = TranslationCache(folder)
    assert reader.get_many([row("spa", "Hola", "")[0]]) == {} and not folder.exists()  # reading leaves no file
    ours = row("spa", "Todos los seres humanos nacen libres", "All human beings are born free")
    reader.put_many([ours])
    theirs = [row("spa", "Toda persona tiene derecho a la vida", "Everyone has the right to life"),
              row("por", "Todos os seres humanos nascem livres", "All human beings are born free")]
    write_in_another_process(folder, theirs)
    files = sorted(folder.glob("*.sqlite"))
    assert len(files) == 2 and reader.get_many([r[0] for r in [ours, *theirs]]) == {
        r[0]: r[5] for r in [ours, *theirs]}  # the other process's file is found without reopening
    assert len(reader) == 3
    for path in files:  # rollback journal, never WAL: nothing needs shared memory between hosts
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    reader.close()


def test_a_key_in_two_files_resolves_the_same_for_every_reader(tmp_path):
    folder = tmp_path / "translations"
    write_in_another_process(folder, [row("spa", "Hola", "Hello")])
    write_in_another_process(folder, [row("spa", "Hola", "Hi")])
    first = sorted(folder.glob("*.sqlite"))[0]
    with sqlite3.connect(first) as db:
        expected = db.execute("SELECT translation FROM translations").fetchone()[0]
    key = row("spa", "Hola", "")[0]
    assert TranslationCache(folder).get_many([key]) == {key: expected}


def test_a_writer_killed_mid_batch_leaves_its_committed_batches_readable(tmp_path):
    folder = tmp_path / "translations"
    committed = row("spa", "Nadie será sometido a torturas", "No one shall be subjected to torture")
    # the next batch is half written when the process dies: a hot journal stays behind
    write_in_another_process(folder, [committed], textwrap.dedent("""
        import os, sqlite3
        db = sqlite3.connect(cache._files.own_path)
        db.execute("PRAGMA cache_size=1")  # spill pages into the file before the commit that never comes
        db.execute("BEGIN")
        for i in range(5000):
            db.execute("INSERT INTO translations VALUES (?, 'apertium', 'es-en', 'spa', 'eng', ?)", (str(i), "x" * 500))
        os._exit(9)
        """))
    assert list(folder.glob("*.sqlite-journal"))
    cache = TranslationCache(folder)
    assert cache.get_many([committed[0], "17"]) == {committed[0]: committed[5]} and len(cache) == 1
