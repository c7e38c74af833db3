#!/usr/bin/env python3
"""Folio's reliability suite: crashes, full disks, broken mirrors and damaged catalogs, driven through
the real `folio` binary and checked with `git` and SQLite (or, for the *-postgres scenarios, psql).

    python3 Tests/reliability/reliability.py --folio .build/debug/folio [--rounds N] [--seconds S]

Each scenario runs in its own temporary data folder, prints `ok NAME` or `FAIL NAME: reasons` (details
indented below), and after it the invariants (a)-(f) described in README.md are checked with every
server stopped. The last line is `N passed, N failed`; the exit status is 1 when anything failed.
Standard library only (Python 3.11+); needs `git` on PATH, and root for the disk-full scenario's tmpfs.
"""
from __future__ import annotations

import argparse
import errno
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

# ---------------------------------------------------------------------------------------------------
# Settings shared by every scenario

PROJECT = "rel"
KEYS = [f"{PROJECT}/prd/doc{i}.json" for i in range(4)] + [f"{PROJECT}/implementation/plan{i}.json" for i in range(3)]
CHECK_KEY = f"{PROJECT}/prd/next_save.json"  # the key invariant (f) saves to
HTTP_TIMEOUT = 30.0  # one request
CLI_TIMEOUT = 60.0  # one CLI command (saves that wait for a stale lock take up to ~10 s)
START_TIMEOUT = 60.0  # `folio serve` until it prints its port
STOP_TIMEOUT = 30.0  # `folio serve` after SIGTERM
NEXT_SAVE_LIMIT = 15.0  # a save after a crash may wait ~10 s for a foreign-looking ref lock; allow 15
UUID_RE = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
# A reply that says the save may or may not have happened (then it may be on main either way).
UNKNOWN_CODES = {"outcome_unknown", "unknown_outcome", "indeterminate", "unknown"}
UNKNOWN_TEXT = re.compile(
    r"outcome (is |was |may be )?(unknown|uncertain|not known|unconfirmed)|may (have been|already be|still be|be) "
    r"(saved|committed|written|on the branch)|(saved|committed) or not|cannot tell whether|could not (be )?confirm(ed)? whether",
    re.I)

FOLIO = "folio"
VERBOSE = False
KEEP = False
_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()
_mounts: list[str] = []


def log(message: str) -> None:
    if VERBOSE:
        print(f"  [{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------------------------------
# Child processes: every one is registered so that nothing outlives the script.

def spawn(args: list[str], **kwargs) -> subprocess.Popen:
    kwargs.setdefault("start_new_session", True)
    proc = subprocess.Popen(args, **kwargs)
    with _children_lock:
        _children.add(proc)
    return proc


def reap(proc: subprocess.Popen) -> None:
    with _children_lock:
        _children.discard(proc)


def kill_hard(proc: subprocess.Popen) -> None:
    """SIGKILL to this one process (by its pid), then wait for it."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    reap(proc)


def kill_all_children() -> None:
    with _children_lock:
        procs = list(_children)
    for proc in procs:
        kill_hard(proc)


def unmount_all() -> None:
    while _mounts:
        path = _mounts.pop()
        subprocess.run(["umount", path], capture_output=True, timeout=30)


def run(args: list[str], env: dict | None = None, input: bytes | None = None, timeout: float = CLI_TIMEOUT,
        cwd: str | None = None) -> subprocess.CompletedProcess:
    """Runs a command to completion with a timeout; on timeout the child is killed and rc is -9."""
    proc = spawn(args, env=env, cwd=cwd, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
        return subprocess.CompletedProcess(args, proc.returncode, out, err)
    except subprocess.TimeoutExpired:
        kill_hard(proc)
        out, err = proc.communicate()
        return subprocess.CompletedProcess(args, -9, out, (err or b"") + f"\n[timed out after {timeout:.0f} s]".encode())
    finally:
        reap(proc)


def short(data: bytes | str, limit: int = 400) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


# ---------------------------------------------------------------------------------------------------
# A data folder and the environment that points Folio at it

class DataEnv:
    def __init__(self, root: Path, data: Path | None = None, database_url: str | None = None):
        self.root = root  # logs and scratch files live here
        self.data = data or root / "data"  # repository, catalog, mirror (may be a mount point)
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        self.repo = self.data / "folio.git"
        self.catalog = self.data / "folio.sqlite"
        self.media = self.data / "media"
        self.mirror = self.media / "projects"
        env = {k: v for k, v in os.environ.items()
               if not (k.startswith("FOLIO_") or k.startswith("AWS_") or k in ("MEDIA_ROOT", "FILE_STORAGE_TYPE"))}
        # With a PostgreSQL catalog (the *-postgres scenarios) every process shares that database.
        self.database_url = database_url
        env.update(FOLIO_REPO_PATH=str(self.repo), FOLIO_DATABASE_URL=database_url or f"sqlite:{self.catalog}",
                   MEDIA_ROOT=str(self.media), FILE_STORAGE_TYPE="local")
        self.env = env
        self.servers = 0

    def folio(self, *args: str, input: bytes | None = None, timeout: float = CLI_TIMEOUT,
              binary: str | None = None) -> subprocess.CompletedProcess:
        return run([binary or FOLIO, *args], env=self.env, input=input, timeout=timeout, cwd=str(self.root))

    def git(self, *args: str, input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        return run(["git", f"--git-dir={self.repo}", *args], input=input, timeout=timeout)

    def init(self) -> None:
        result = self.folio("init")
        if result.returncode != 0:
            raise ScenarioError(f"folio init failed (rc {result.returncode}): {short(result.stderr)}")

    def tip(self) -> str | None:
        result = self.git("rev-parse", "--verify", "-q", "refs/heads/main")
        return result.stdout.decode().strip() if result.returncode == 0 else None

    def main_lock(self) -> Path:
        return self.repo / "refs" / "heads" / "main.lock"


class ScenarioError(Exception):
    """A scenario could not go on; the message is its failure."""


# ---------------------------------------------------------------------------------------------------
# `folio serve`

class Server:
    def __init__(self, env: DataEnv, label: str = ""):
        self.env = env
        env.servers += 1
        self.name = f"serve{env.servers}{label}"
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.err_path = env.logs / f"{self.name}.stderr"
        self.out_path = env.logs / f"{self.name}.stdout"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        out = open(self.out_path, "wb")
        err = open(self.err_path, "ab")
        try:
            self.proc = spawn([FOLIO, "serve", "--host", "127.0.0.1", "--port", "0"], env=self.env.env,
                              cwd=str(self.env.root), stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        finally:
            out.close()
            err.close()
        deadline = time.monotonic() + START_TIMEOUT
        pattern = re.compile(rb"listening on http://127\.0\.0\.1:(\d+)")
        while time.monotonic() < deadline:
            match = pattern.search(self.out_path.read_bytes())
            if match:
                self.port = int(match.group(1))
                log(f"{self.name} pid {self.proc.pid} on port {self.port}")
                return self
            if self.proc.poll() is not None:
                reap(self.proc)
                raise ScenarioError(f"{self.name} exited with {self.proc.returncode} before listening: {self.log_tail()}")
            time.sleep(0.02)
        kill_hard(self.proc)
        raise ScenarioError(f"{self.name} did not print its port within {START_TIMEOUT:.0f} s: {self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        if self.proc is not None:
            kill_hard(self.proc)

    def stop(self) -> str | None:
        """SIGTERM and wait; returns a problem if it did not exit cleanly."""
        if self.proc is None:
            return None
        proc = self.proc
        if proc.poll() is not None:
            reap(proc)
            return f"{self.name} had already exited with {proc.returncode}: {self.log_tail()}"
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            kill_hard(proc)
            return f"{self.name} did not exit within {STOP_TIMEOUT:.0f} s of SIGTERM (killed)"
        reap(proc)
        if proc.returncode != 0:
            return f"{self.name} exited with {proc.returncode} after SIGTERM: {self.log_tail()}"
        return None

    def log_tail(self, lines: int = 6) -> str:
        try:
            text = self.err_path.read_text("utf-8", "replace").splitlines()
        except OSError:
            return "(no log)"
        interesting = [line for line in text if " info " not in line] or text
        return " | ".join(interesting[-lines:])

    def errors_logged(self) -> list[str]:
        try:
            text = self.err_path.read_text("utf-8", "replace").splitlines()
        except OSError:
            return []
        return [line for line in text if re.search(r"\b(error|critical)\b", line)]


# ---------------------------------------------------------------------------------------------------
# Saves and what they were answered

@dataclass
class Save:
    key: str
    uid: str
    content: str
    author: str
    via: str  # "http" or "cli"
    phase: str = ""
    outcome: str = "pending"  # ok | error | unknown
    status: int | None = None  # HTTP status or CLI exit status
    commit: str | None = None
    detail: str = ""


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.saves: list[Save] = []

    def new(self, key: str, author: str, via: str, phase: str = "", size: int | None = None) -> Save:
        uid = str(uuid.uuid4())
        size = random.randint(40, 3000) if size is None else size
        words = ["goal", "scope", "risk", "milestone", "owner", "metric", "launch", "review"]
        body = []
        while sum(len(line) + 1 for line in body) < size:
            body.append(" ".join(random.choice(words) for _ in range(random.randint(3, 12))))
        content = f"# {key}\n\nsave {uid} by {author}\n\n" + "\n".join(body) + "\n"
        save = Save(key=key, uid=uid, content=content, author=author, via=via, phase=phase)
        with self.lock:
            self.saves.append(save)
        return save

    def of(self, outcome: str, phase: str | None = None) -> list[Save]:
        with self.lock:
            return [s for s in self.saves if s.outcome == outcome and (phase is None or s.phase == phase)]

    def counts(self, phase: str | None = None) -> str:
        with self.lock:
            saves = [s for s in self.saves if phase is None or s.phase == phase]
        statuses: dict[str, int] = {}
        for s in saves:
            label = s.outcome if s.status is None or s.via == "cli" else f"{s.status}"
            statuses[label] = statuses.get(label, 0) + 1
        return ", ".join(f"{v}x{k}" for k, v in sorted(statuses.items())) or "none"


def says_unknown(code: str | None, message: str) -> bool:
    return (code or "").lower() in UNKNOWN_CODES or bool(UNKNOWN_TEXT.search(message or ""))


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def split_key(key: str) -> tuple[str, str, str]:
    project, kind, name = key.split("/")
    return project, kind, name.removesuffix(".json")


def http_save(base_url: str, save: Save, timeout: float = HTTP_TIMEOUT) -> Save:
    project, kind, name = split_key(save.key)
    body = json.dumps({"name": name, "content": save.content, "metadata": {"save": save.uid},
                       "updated_by": save.author}).encode()
    request = urllib.request.Request(f"{base_url}/api/projects/{project}/{kind}/", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with _opener.open(request, timeout=timeout) as reply:
            save.status = reply.status
            data = reply.read()
    except urllib.error.HTTPError as error:
        save.status = error.code
        try:
            data = error.read()
        except Exception:  # noqa: BLE001 - the body is only for the report
            data = b""
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, socket.timeout, OSError) as error:
        reason = getattr(error, "reason", error)
        save.outcome = "unknown"
        save.detail = f"no reply: {type(reason).__name__}: {reason}"
        return save
    save.detail = short(data, 600)
    if 200 <= save.status < 300:
        try:
            save.commit = json.loads(data)["commit"]
            save.outcome = "ok"
        except (ValueError, KeyError, TypeError):
            save.outcome = "unknown"
            save.detail = "2xx without a commit: " + save.detail
        return save
    try:
        error_body = json.loads(data).get("error", {})
    except (ValueError, AttributeError):
        error_body = {}
    save.outcome = "unknown" if says_unknown(error_body.get("code"), error_body.get("message", "")) else "error"
    return save


def http_get(base_url: str, path: str, timeout: float = HTTP_TIMEOUT) -> tuple[int, bytes]:
    try:
        with _opener.open(f"{base_url}{path}", timeout=timeout) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def cli_save_start(env: DataEnv, save: Save, use_stdin: bool) -> subprocess.Popen:
    args = [FOLIO, "save", save.key, "--author", save.author, "--metadata", json.dumps({"save": save.uid}), "--json"]
    if use_stdin:
        proc = spawn(args, env=env.env, cwd=str(env.root), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
        try:
            proc.stdin.write(save.content.encode())
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        proc.stdin = None  # closed: communicate() must not touch it
        return proc
    path = env.root / f"content-{save.uid}.md"
    path.write_text(save.content)
    return spawn(args + ["--file", str(path)], env=env.env, cwd=str(env.root), stdin=subprocess.DEVNULL,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def cli_save_finish(proc: subprocess.Popen, save: Save, timeout: float = CLI_TIMEOUT) -> Save:
    """Waits for a CLI save and records its answer (a timeout is killed and counted as unknown)."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_hard(proc)
        save.outcome = "unknown"
        save.detail = f"timed out after {timeout:.0f} s (killed)"
        save.status = -9
        return save
    finally:
        reap(proc)
    save.status = proc.returncode
    if proc.returncode == 0:
        try:
            save.commit = json.loads(out)["commit"]
            save.outcome = "ok"
        except (ValueError, KeyError, TypeError):
            save.outcome = "unknown"
            save.detail = "exit 0 without a commit: " + short(out)
        return save
    if proc.returncode < 0:
        save.outcome = "unknown"
        save.detail = f"killed by signal {-proc.returncode}"
        return save
    message = short(err)
    save.detail = f"exit {proc.returncode}: {message}"
    save.outcome = "unknown" if says_unknown(None, message) else "error"
    return save


def cli_save(env: DataEnv, save: Save, timeout: float = CLI_TIMEOUT, use_stdin: bool = False) -> Save:
    return cli_save_finish(cli_save_start(env, save, use_stdin), save, timeout)


class Load:
    """Client threads that save until stopped, each to one or two of the keys (so files are shared)."""

    def __init__(self, ledger: Ledger, urls: Callable[[int], str], threads: int, keys: list[str] = KEYS,
                 phase: Callable[[], str] = lambda: "", size: Callable[[], int] | None = None, pause: float = 0.0):
        self.ledger, self.urls, self.keys, self.phase, self.size = ledger, urls, keys, phase, size
        self.pause = pause  # seconds each thread waits between saves
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]
        self.crashed: list[str] = []

    def _run(self, index: int) -> None:
        rng = random.Random(index * 7919 + int(time.time()))
        try:
            while not self.stop_event.is_set():
                key = self.keys[index % len(self.keys)] if rng.random() < 0.7 else rng.choice(self.keys)
                save = self.ledger.new(key, f"user{index}", "http", self.phase(), self.size() if self.size else None)
                http_save(self.urls(index), save)
                if save.outcome == "unknown" and save.detail.startswith("no reply"):
                    time.sleep(0.05)  # a dead server: do not spin
                if self.pause:
                    self.stop_event.wait(self.pause)
        except Exception:  # noqa: BLE001 - a bug in the client must show up, not hang the run
            self.crashed.append(traceback.format_exc(limit=3))

    def start(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        deadline = time.monotonic() + HTTP_TIMEOUT + 10
        for thread in self.threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        if any(t.is_alive() for t in self.threads):
            self.crashed.append("client threads still running after the request timeout")


# ---------------------------------------------------------------------------------------------------
# git helpers

def cat_file_batch(env: DataEnv, specs: list[str]) -> list[bytes | None]:
    """`git cat-file --batch` for many objects at once; None where the object does not exist."""
    if not specs:
        return []
    result = env.git("cat-file", "--batch", input="".join(s + "\n" for s in specs).encode(), timeout=300)
    if result.returncode != 0:
        raise ScenarioError(f"git cat-file --batch failed: {short(result.stderr)}")
    out, pos, values = result.stdout, 0, []
    for _ in specs:
        end = out.index(b"\n", pos)
        header = out[pos:end].decode("utf-8", "replace").split()
        pos = end + 1
        if len(header) != 3 or header[-1] in ("missing", "ambiguous"):
            values.append(None)
            continue
        size = int(header[2])
        values.append(out[pos:pos + size])
        pos += size + 1
    return values


def envelope_content(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return json.loads(data)["content"]
    except (ValueError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------------------------------------------
# The invariants, checked with every server of the scenario stopped

DOCUMENT_COLUMNS = "file_key, commit_id, blob_id, size, updated_by, deleted_at"


def read_table(path: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def read_catalog(env: DataEnv, sql: str) -> list[tuple]:
    """The catalog's rows as text (None for NULL), from SQLite or, through psql, from PostgreSQL."""
    if env.database_url is None:
        return [tuple(None if v is None else str(v) for v in row) for row in read_table(env.catalog, sql)]
    result = run(["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-P", "null=\x01", "-v", "ON_ERROR_STOP=1",
                  "-d", env.database_url, "-c", sql], timeout=120)
    if result.returncode != 0:
        raise sqlite3.Error(f"psql failed: {short(result.stderr)}")
    text = result.stdout.decode()
    rows = [record for record in text.rstrip("\n").split("\x1e") if record]
    return [tuple(None if v == "\x01" else v for v in record.split("\x1f")) for record in rows]


def create_database(admin_url: str) -> str:
    """A fresh database on the test PostgreSQL server; its URL."""
    name = f"folio_rel_{uuid.uuid4().hex[:12]}"
    result = run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin_url, "-c", f"CREATE DATABASE {name}"], timeout=60)
    if result.returncode != 0:
        raise ScenarioError(f"cannot create a test database: {short(result.stderr)}")
    base, _, query = admin_url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")


def table_problems(label: str, actual: list[tuple], expected: list[tuple]) -> list[str]:
    if actual == expected:
        return []
    have, want = set(actual), set(expected)
    extra = sorted(have - want, key=repr)
    missing = sorted(want - have, key=repr)
    text = f"(c) catalog {label} differ from a fresh reindex: {len(actual)} rows vs {len(expected)}"
    if extra:
        text += f"; {len(extra)} only in the catalog, e.g. {extra[:2]}"
    if missing:
        text += f"; {len(missing)} only in the reindex, e.g. {missing[:2]}"
    if not extra and not missing:
        text += "; same rows, different order or duplicates"
    return [text]


def limited(problems: list[str], letter: str, items: list[str], what: str, limit: int = 4) -> None:
    if items:
        problems.append(f"({letter}) {len(items)} {what}: " + "; ".join(items[:limit]) + (" ..." if len(items) > limit else ""))


def check_invariants(env: DataEnv, ledger: Ledger, next_save_binary: str | None = None,
                     after_next_save: Callable[[], None] | None = None) -> tuple[list[str], list[str]]:
    """Returns (problems, notes). Each problem starts with the invariant's letter."""
    problems: list[str] = []
    notes: list[str] = []
    tip = env.tip()
    saves = list(ledger.saves)
    ok = [s for s in saves if s.outcome == "ok"]
    errors = [s for s in saves if s.outcome == "error"]
    if tip is None:
        if ok:
            problems.append(f"(a) refs/heads/main does not exist but {len(ok)} saves were answered 2xx")
    else:
        # (a) every acknowledged save is on main, with its author and content at its commit.
        log_out = env.git("log", "--format=%H%x09%an", "refs/heads/main", timeout=300)
        if log_out.returncode != 0:
            problems.append(f"(a) git log main failed: {short(log_out.stderr)}")
        authors = dict(line.split("\t", 1) for line in log_out.stdout.decode().splitlines() if "\t" in line)
        contents = cat_file_batch(env, [f"{s.commit}:{s.key}" for s in ok])
        not_on_main, wrong = [], []
        for save, data in zip(ok, contents):
            if save.commit not in authors:
                not_on_main.append(f"{save.key} {save.via} {save.phase} commit {save.commit} (reply {save.detail[:160]})")
            elif authors[save.commit] != save.author:
                wrong.append(f"{save.key} at {save.commit[:12]}: author {authors[save.commit]!r}, sent {save.author!r}")
            elif envelope_content(data) != save.content:
                got = envelope_content(data)
                wrong.append(f"{save.key} at {save.commit[:12]}: content " +
                             ("missing" if got is None else f"{short(got, 80)!r}") + f", sent save {save.uid}")
        limited(problems, "a", not_on_main, "saves answered 2xx are not on main")
        limited(problems, "a", wrong, "saves answered 2xx differ at their commit")
        # (b) no save answered with an error is anywhere in main's history.
        objects = env.git("rev-list", "--objects", "refs/heads/main", timeout=300)
        blobs = [line.split(" ", 1)[0] for line in objects.stdout.decode().splitlines() if line.endswith(".json")]
        found: set[bytes] = set()
        for data in cat_file_batch(env, blobs):
            if data:
                found.update(UUID_RE.findall(data))
        present = [s for s in errors if s.uid.encode() in found]
        limited(problems, "b", [f"{s.key} {s.via} {s.phase} answered {s.status}: {s.detail[:200]}" for s in present],
                "saves answered with an error are on main")
        missing_ok = [s for s in ok if s.uid.encode() not in found]
        limited(problems, "a", [f"{s.key} save {s.uid}" for s in missing_ok], "acknowledged saves' content is not in main's history")
    # (e) the repository is sound.
    fsck = env.git("fsck", "--strict", "--no-progress", timeout=300)
    if fsck.returncode != 0:
        problems.append(f"(e) git fsck --strict exited {fsck.returncode}: {short(fsck.stderr + fsck.stdout)}")
    # The fair point for (c) and (d): Folio repairs the catalog and the mirror on every open, so the
    # store is opened once (`folio init`, which drains every pending mirror write) before they are judged.
    settle = env.folio("init", timeout=120)
    if settle.returncode != 0:
        problems.append(f"(c) opening the store (folio init) failed with {settle.returncode}: {short(settle.stderr)}")
    # (c) the catalog equals one rebuilt from git alone.
    copy = Path(tempfile.mkdtemp(prefix="reindex-", dir=env.root))
    try:
        copy_data = copy / "data"
        shutil.copytree(env.data, copy_data, symlinks=True, ignore=shutil.ignore_patterns("filler"))
        copy_env = DataEnv(copy, copy_data)
        reindex = copy_env.folio("reindex", timeout=300)
        if reindex.returncode != 0:
            problems.append(f"(c) folio reindex on a copy failed with {reindex.returncode}: {short(reindex.stderr)}")
        else:
            try:
                for table, sql in (("documents", f"SELECT {DOCUMENT_COLUMNS} FROM documents ORDER BY file_key"),
                                   ("revisions", "SELECT * FROM revisions ORDER BY file_key, seq")):
                    problems += table_problems(table, read_catalog(env, sql), read_catalog(copy_env, sql))
            except sqlite3.Error as error:
                problems.append(f"(c) cannot read the catalogs: {error}")
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    # (d) the mirror holds exactly main's files.
    if tip is not None or env.tip() is not None:
        listing = env.git("ls-tree", "-r", "--name-only", "refs/heads/main")
        files = [line for line in listing.stdout.decode().splitlines() if line]
        wanted = dict(zip(files, cat_file_batch(env, [f"refs/heads/main:{f}" for f in files])))
    else:
        wanted = {}
    stale, missing = [], []
    for key, data in wanted.items():
        path = env.mirror / key
        try:
            held = path.read_bytes()
        except FileNotFoundError:
            missing.append(key)
            continue
        except OSError as error:
            missing.append(f"{key} ({error})")
            continue
        if held != data:
            stale.append(f"{key} (mirror {short(envelope_content(held) or held, 60)!r})")
    extra = []
    if env.mirror.is_dir():
        for path in env.mirror.rglob("*.json"):
            relative = path.relative_to(env.mirror).as_posix()
            if not path.name.startswith(".") and relative not in wanted:
                extra.append(relative)
    elif wanted:
        missing.append(f"{env.mirror} is not a folder")
    limited(problems, "d", missing, "files on main are missing from the mirror")
    limited(problems, "d", stale, "mirror files differ from main")
    limited(problems, "d", sorted(extra), "extra .json files in the mirror")
    # (f) the next save works, promptly, and leaves no lock behind.
    save = Ledger().new(CHECK_KEY, "checker", "cli", "check")
    started = time.monotonic()
    proc = spawn([next_save_binary or FOLIO, "save", CHECK_KEY, "--author", "checker", "--json"], env=env.env,
                 cwd=str(env.root), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdin.write(save.content.encode())
        proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass
    proc.stdin = None
    cli_save_finish(proc, save, timeout=max(CLI_TIMEOUT, NEXT_SAVE_LIMIT * 2))
    elapsed = time.monotonic() - started
    if after_next_save:
        after_next_save()
    if save.outcome != "ok":
        problems.append(f"(f) the next CLI save failed ({save.outcome}, {elapsed:.1f} s): {save.detail}")
    else:
        new_tip = env.tip()
        if new_tip != save.commit:
            problems.append(f"(f) the next CLI save answered {save.commit} but main is {new_tip}")
        elif envelope_content(cat_file_batch(env, [f"{save.commit}:{CHECK_KEY}"])[0]) != save.content:
            problems.append("(f) the next CLI save's content is not what was sent")
        if elapsed > NEXT_SAVE_LIMIT:
            problems.append(f"(f) the next CLI save took {elapsed:.1f} s (limit {NEXT_SAVE_LIMIT:.0f} s)")
    if env.main_lock().exists():
        problems.append(f"(f) {env.main_lock().relative_to(env.data)} exists after the next save")
    return problems, notes


# ---------------------------------------------------------------------------------------------------
# Scenarios. Each returns (problems, notes); the ledger is checked by the invariants afterwards.

@dataclass
class Context:
    env: DataEnv
    ledger: Ledger
    rounds: int
    seconds: float
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)

    def server(self, label: str = "") -> Server:
        server = Server(self.env, label)
        self.servers.append(server)
        return server.start()

    def stop_servers(self) -> None:
        for server in self.servers:
            if server.alive():
                problem = server.stop()
                if problem:
                    self.problems.append(problem)


def unexpected_replies(ledger: Ledger, phase: str | None = None, allow_unknown: bool = False) -> list[str]:
    """Error replies (and, unless allowed, lost connections) to valid saves sent to a live server."""
    bad = [s for s in ledger.saves if (phase is None or s.phase == phase)
           and (s.outcome == "error" or (s.outcome == "unknown" and not allow_unknown))]
    if not bad:
        return []
    kinds: dict[str, int] = {}
    for s in bad:
        label = f"{s.status}" if s.status is not None else s.detail[:60]
        kinds[label] = kinds.get(label, 0) + 1
    examples = "; ".join(f"{s.key} -> {s.status}: {s.detail[:240]}" for s in bad[:3])
    return [f"{len(bad)} saves not answered 2xx ({', '.join(f'{v}x {k}' for k, v in kinds.items())}), e.g. {examples}"]


def scenario_kill_server(ctx: Context) -> None:
    """kill -9 of `folio serve` at random moments under 16 concurrent clients, --rounds times."""
    ctx.env.init()
    killed_with_lock = 0
    for round_number in range(ctx.rounds):
        phase = f"round{round_number + 1}"
        server = ctx.server(f"-r{round_number + 1}")
        load = Load(ctx.ledger, lambda _i: server.url, threads=16, phase=lambda: phase).start()
        time.sleep(random.uniform(0.3, 2.5))
        server.kill9()
        load.stop()
        ctx.problems += [f"client: {c}" for c in load.crashed]
        if ctx.env.main_lock().exists():
            killed_with_lock += 1
        acknowledged = len(ctx.ledger.of("ok", phase))
        ctx.notes.append(f"{phase}: {ctx.ledger.counts(phase)}")
        # Replies with a status came from a live server: a valid save should never get an error.
        ctx.problems += [f"{phase}: {p}" for p in unexpected_replies(ctx.ledger, phase, allow_unknown=True)]
        if round_number == 0 and acknowledged == 0:
            ctx.notes.append(f"{phase}: no save was acknowledged before the kill")
    if killed_with_lock:
        ctx.notes.append(f"{killed_with_lock} kill(s) left refs/heads/main.lock behind")
    # One more start: the server must come up and save after the last crash.
    server = ctx.server("-after")
    save = http_save(server.url, ctx.ledger.new(KEYS[0], "after_crash", "http", "after"))
    if save.outcome != "ok":
        ctx.problems.append(f"the first save after restarting answered {save.status}: {save.detail}")
    ctx.stop_servers()


def scenario_kill_during_push(ctx: Context) -> None:
    """kill -9 of `folio serve` while `git push` over HTTP and file:// races 4 API clients, --rounds times.

    Each push is one commit of two files; git's "fetch first" refusals are rebased and pushed again.
    A push git reported done is acknowledged like a 2xx save; one cut off by the kill is unknown."""
    ctx.env.init()
    pushed = 0
    for round_number in range(ctx.rounds):
        phase = f"round{round_number + 1}"
        server = ctx.server(f"-r{round_number + 1}")
        # Paced: under saves back to back a fetch-rebase-push round trip rarely finds main where it
        # fetched it, and git refuses the push as "fetch first" every time (nothing lost, nothing tested).
        load = Load(ctx.ledger, lambda _i: server.url, threads=4, phase=lambda: phase, pause=1.0).start()
        stop = threading.Event()
        clone = ctx.env.root / f"clone-{phase}"
        git_env = dict(ctx.env.env, GIT_TERMINAL_PROMPT="0")

        first_push = threading.Event()
        round_pushes = 0

        def push_loop() -> None:
            nonlocal pushed, round_pushes
            cloned = run(["git", "clone", "-q", f"{server.url}/git/folio.git", str(clone)], env=git_env)
            if cloned.returncode != 0:
                ctx.problems.append(f"{phase}: the clone failed: {short(cloned.stderr)}")
                first_push.set()
                return
            n = 0
            while not stop.is_set():
                n += 1
                author = f"pusher {phase} {n}"
                saves = [ctx.ledger.new(f"{PROJECT}/prd/push_{phase}_{n}.json", author, "push", phase),
                         ctx.ledger.new(f"{PROJECT}/implementation/push_{phase}_{n}.json", author, "push", phase)]
                for save in saves:
                    path = clone / save.key
                    path.parent.mkdir(parents=True, exist_ok=True)
                    kind = save.key.split("/")[1]
                    path.write_text(json.dumps({"content": save.content, "metadata": {}, "type": kind}))
                env = dict(git_env, GIT_AUTHOR_NAME=author, GIT_AUTHOR_EMAIL="p@example.com",
                           GIT_COMMITTER_NAME=author, GIT_COMMITTER_EMAIL="p@example.com")
                run(["git", "-C", str(clone), "add", "-A"], env=env)
                run(["git", "-C", str(clone), "commit", "-qm", f"Push {n}"], env=env)
                remote = f"{server.url}/git/folio.git" if n % 2 else f"file://{ctx.env.repo}"
                for _attempt in range(20):
                    result = run(["git", "-C", str(clone), "push", remote, "HEAD:main"], env=env, timeout=120)
                    if result.returncode == 0 or stop.is_set():
                        break
                    if run(["git", "-C", str(clone), "pull", "-q", "--rebase", f"file://{ctx.env.repo}", "main"],
                           env=env).returncode != 0:
                        break
                commit = run(["git", "-C", str(clone), "rev-parse", "HEAD"], env=env).stdout.decode().strip()
                for save in saves:
                    save.commit = commit
                    save.outcome = "ok" if result.returncode == 0 else "unknown"
                    save.detail = short(result.stderr)
                if result.returncode != 0:
                    ctx.notes.append(f"{phase}: push {n} not acknowledged: {short(result.stderr, 200)}")
                    return
                pushed += 1
                round_pushes += 1
                first_push.set()

        pusher = threading.Thread(target=push_loop)
        pusher.start()
        # The kill comes while pushes are going on: after the first one is through, at a random moment
        # within the next ones (a push takes a few hundred milliseconds here).
        if not first_push.wait(timeout=60):
            ctx.problems.append(f"{phase}: no push got through within 60 s")
        time.sleep(random.uniform(0.0, 1.5))
        server.kill9()
        stop.set()
        pusher.join(timeout=300)
        load.stop()
        ctx.problems += [f"client: {c}" for c in load.crashed]
        ctx.notes.append(f"{phase}: {ctx.ledger.counts(phase)}; {round_pushes} push(es) acknowledged")
        ctx.problems += [f"{phase}: {p}" for p in unexpected_replies(
            _only([s for s in ctx.ledger.saves if s.phase == phase and s.via != "push"]), phase, allow_unknown=True)]
    ctx.notes.append(f"{pushed} pushes acknowledged in all")
    server = ctx.server("-after")
    save = http_save(server.url, ctx.ledger.new(KEYS[0], "after_crash", "http", "after"))
    if save.outcome != "ok":
        ctx.problems.append(f"the first save after restarting answered {save.status}: {save.detail}")
    ctx.stop_servers()


def scenario_kill_cli(ctx: Context) -> None:
    """kill -9 of concurrent `folio save` processes after 0-300 ms, then a normal save within 15 s."""
    ctx.env.init()
    rounds = max(1, ctx.rounds) * 2
    locks_left = 0
    slow = []
    for round_number in range(rounds):
        phase = f"round{round_number + 1}"
        started = []
        for index in range(8):
            save = ctx.ledger.new(random.choice(KEYS), f"cli{index}", "cli", phase)
            started.append((save, cli_save_start(ctx.env, save, use_stdin=index % 2 == 0), random.random() < 0.6,
                            time.monotonic(), random.uniform(0, 0.3)))
        for save, proc, kill, at, delay in sorted(started, key=lambda item: item[3] + item[4]):
            if kill:
                time.sleep(max(0.0, at + delay - time.monotonic()))
                if proc.poll() is None:
                    os.kill(proc.pid, signal.SIGKILL)
        for save, proc, kill, at, delay in started:
            cli_save_finish(proc, save, timeout=CLI_TIMEOUT)
            # A save that exited on its own (killed or not) must have worked; a killed one is unknown.
            if save.outcome == "error" or (not kill and save.outcome != "ok"):
                ctx.problems.append(f"{phase}: a concurrent save that was not killed failed "
                                    f"({'picked for a kill but exited first' if kill else 'not picked for a kill'}): {save.detail}")
        if ctx.env.main_lock().exists():
            locks_left += 1
        # A normal save must succeed promptly, whatever the killed ones left behind.
        after = ctx.ledger.new(KEYS[round_number % len(KEYS)], "normal", "cli", phase + "-after")
        began = time.monotonic()
        cli_save(ctx.env, after, timeout=NEXT_SAVE_LIMIT * 2, use_stdin=round_number % 2 == 1)
        took = time.monotonic() - began
        if after.outcome != "ok":
            ctx.problems.append(f"{phase}: the normal save after the kills failed after {took:.1f} s: {after.detail}")
        elif took > NEXT_SAVE_LIMIT:
            ctx.problems.append(f"{phase}: the normal save after the kills took {took:.1f} s (limit {NEXT_SAVE_LIMIT:.0f} s)")
        elif took > 3:
            slow.append(f"{took:.1f}")
    killed = sum(1 for s in ctx.ledger.saves if s.detail.startswith("killed"))
    ctx.notes.append(f"{rounds} rounds of 8 saves: {killed} killed mid-save, {len(ctx.ledger.of('ok'))} ok, "
                     f"{len(ctx.ledger.of('error'))} error; kills left refs/heads/main.lock in {locks_left} round(s)"
                     + (f"; normal saves waited {', '.join(slow)} s" if slow else ""))


def scenario_two_servers(ctx: Context) -> None:
    """Two `folio serve` on one repository and catalog, load split between them for --seconds."""
    ctx.env.init()
    servers = [ctx.server("-a"), ctx.server("-b")]
    load = Load(ctx.ledger, lambda i: servers[i % 2].url, threads=12, phase=lambda: "load").start()
    time.sleep(ctx.seconds)
    load.stop()
    ctx.problems += [f"client: {c}" for c in load.crashed]
    ctx.notes.append(f"{len(ctx.ledger.saves)} saves in {ctx.seconds:.0f} s: {ctx.ledger.counts()}")
    five = [s for s in ctx.ledger.saves if s.status is not None and s.status >= 500]
    for s in five[:5]:
        ctx.problems.append(f"5xx: {s.key} answered {s.status}: {s.detail}")
    if len(five) > 5:
        ctx.problems.append(f"... {len(five)} 5xx replies in all")
    others = [s for s in ctx.ledger.saves if s not in five and s.outcome != "ok"]
    if others:
        ctx.problems += unexpected_replies(_only(others))
    for server in servers:
        if not server.alive():
            ctx.problems.append(f"{server.name} died: {server.log_tail()}")
    ctx.stop_servers()


def _only(saves: list[Save]) -> Ledger:
    ledger = Ledger()
    ledger.saves = saves
    return ledger


def disk_usage(env: DataEnv) -> str:
    """Where the data folder's bytes are, for the report."""
    parts = {"catalog wal": Path(str(env.catalog) + "-wal"), "catalog": env.catalog, "packs": env.repo / "objects" / "pack",
             "mirror": env.media}
    sizes = []
    for label, path in parts.items():
        if path.is_dir():
            total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        else:
            total = path.stat().st_size if path.exists() else 0
        sizes.append(f"{label} {total // 1024} KiB")
    stat = os.statvfs(env.data)
    return ", ".join(sizes) + f"; {stat.f_bavail * stat.f_frsize // 1024} KiB free"


def scenario_disk_full(ctx: Context) -> None:
    """The data folder on a 3 MB tmpfs: fill it while saving, free it, saves work again without a restart."""
    filler = ctx.env.data / "filler"
    ctx.env.init()
    server = ctx.server()
    # A few saves first, sequentially: the disk is small and each save also grows the catalog's WAL.
    for index in range(10):
        save = http_save(server.url, ctx.ledger.new(KEYS[index % len(KEYS)], "setup", "http", "before", size=1000))
        if save.outcome != "ok":
            ctx.problems.append(f"a save before the disk was filled answered {save.status}: {save.detail}")
            break
    ctx.notes.append("before filling: " + disk_usage(ctx.env))
    # 768 KiB held back and freed with the filler: the saves made while the disk fills grow the catalog's
    # WAL by a varying amount, and without a reserve the space freed afterwards could be too little for
    # the recovery saves below (the disk would simply be full again).
    reserve = ctx.env.data / "reserve"
    with open(reserve, "wb") as handle:
        handle.write(b"\0" * (768 << 10))
    phase = ["filling"]
    load = Load(ctx.ledger, lambda _i: server.url, threads=4, phase=lambda: phase[0],
                size=lambda: random.randint(500, 6000)).start()
    time.sleep(0.2)
    written = 0
    try:
        with open(filler, "wb", buffering=0) as handle:
            for chunk in (65536, 4096, 512, 1):
                try:
                    while True:
                        written += handle.write(b"\0" * chunk)
                except OSError as error:
                    if error.errno != errno.ENOSPC:
                        raise
        phase[0] = "full"
        ctx.notes.append(f"filler {written // 1024} KiB; then " + disk_usage(ctx.env))
        time.sleep(3.0)
    finally:
        load.stop()
        filler.unlink(missing_ok=True)
        reserve.unlink(missing_ok=True)
    ctx.problems += [f"client: {c}" for c in load.crashed]
    for name in ("before", "filling", "full"):
        ctx.notes.append(f"{name}: {ctx.ledger.counts(name)}")
    full = [s for s in ctx.ledger.saves if s.phase == "full"]
    if full and not any(s.outcome != "ok" for s in full):
        ctx.notes.append("no save failed while the disk was full")
    bad = [s for s in ctx.ledger.saves if s.phase in ("filling", "full") and s.status is not None and 400 <= s.status < 500]
    if bad:
        ctx.problems.append(f"{len(bad)} saves on a full disk answered 4xx (a client error), e.g. {bad[0].status}: {bad[0].detail}")
    lost = [s for s in ctx.ledger.saves if s.outcome == "unknown"]
    if lost:
        ctx.problems.append(f"{len(lost)} saves got no reply from the live server, e.g. {lost[0].detail}")
    if not server.alive():
        ctx.problems.append(f"the server died while the disk was full: {server.log_tail()}")
        return
    # Same server, filler gone: within 15 s a save must succeed, and then the next 10 must too.
    deadline = time.monotonic() + NEXT_SAVE_LIMIT
    freed = time.monotonic()
    recovered = None
    attempts = 0
    while time.monotonic() < deadline:
        attempts += 1
        save = http_save(server.url, ctx.ledger.new(random.choice(KEYS), "recovery", "http", "recovery", size=1000))
        if save.outcome == "ok":
            recovered = time.monotonic()
            break
        time.sleep(0.5)
    if recovered is None:
        last = ctx.ledger.saves[-1]
        ctx.problems.append(f"no save succeeded within {NEXT_SAVE_LIMIT:.0f} s after freeing the disk "
                            f"({attempts} tries, last {last.status}: {last.detail}); " + disk_usage(ctx.env))
    else:
        failed = []
        for index in range(10):
            save = http_save(server.url, ctx.ledger.new(KEYS[index % len(KEYS)], "recovery", "http", "steady", size=1000))
            if save.outcome != "ok":
                failed.append(f"{save.status}: {save.detail[:200]}")
        if failed:
            ctx.problems.append(f"{len(failed)}/10 saves failed after recovery, e.g. {failed[0]}")
        ctx.notes.append(f"first save after freeing succeeded after {attempts} tries ({recovered - freed:.1f} s)")
    status, body = http_get(server.url, "/readyz")
    if status != 200:
        ctx.problems.append(f"/readyz after freeing the disk and saving again: {status} {short(body, 300)}")
    ctx.stop_servers()


def mirror_matches(env: DataEnv, keys: list[str]) -> list[str]:
    """Keys whose mirror file is not exactly main's blob (read while the server runs)."""
    blobs = cat_file_batch(env, [f"refs/heads/main:{k}" for k in keys])
    behind = []
    for key, data in zip(keys, blobs):
        try:
            if (env.mirror / key).read_bytes() != data:
                behind.append(key)
        except OSError:
            behind.append(key)
    return behind


def scenario_mirror_broken(ctx: Context) -> None:
    """MEDIA_ROOT/projects replaced by a regular file while saving; restored; the mirror catches up."""
    ctx.env.init()
    server = ctx.server()
    for key in KEYS:
        save = http_save(server.url, ctx.ledger.new(key, "setup", "http", "setup"))
        if save.outcome != "ok":
            ctx.problems.append(f"setup save of {key} answered {save.status}: {save.detail}")
    deadline = time.monotonic() + 10
    while mirror_matches(ctx.env, KEYS) and time.monotonic() < deadline:
        time.sleep(0.1)
    if mirror_matches(ctx.env, KEYS):
        ctx.problems.append(f"the mirror did not catch up within 10 s even before it was broken: {mirror_matches(ctx.env, KEYS)}")
    aside = ctx.env.media / "projects.saved"
    ctx.env.mirror.rename(aside)
    ctx.env.mirror.write_text("not a folder\n")
    broken_at = time.monotonic()
    for index in range(14):
        save = http_save(server.url, ctx.ledger.new(KEYS[index % len(KEYS)], "while_broken", "http", "broken"))
        if save.outcome != "ok":
            ctx.problems.append(f"a save while the mirror was broken answered {save.status}: {save.detail}")
        time.sleep(0.1)
    status, body = http_get(server.url, "/readyz")
    ctx.notes.append(f"/readyz while broken: {status}")
    time.sleep(max(0.0, 3.0 - (time.monotonic() - broken_at)))
    ctx.env.mirror.unlink()
    aside.rename(ctx.env.mirror)
    restored = time.monotonic()
    while time.monotonic() < restored + 10 and mirror_matches(ctx.env, KEYS):
        time.sleep(0.2)
    behind = mirror_matches(ctx.env, KEYS)
    if behind:
        ctx.notes.append(f"{len(behind)} file(s) still stale 10 s after the folder came back (retry backoff); "
                         "left to the next open's drain")
    else:
        ctx.notes.append(f"the mirror caught up {time.monotonic() - restored:.1f} s after the folder came back")
    if not server.alive():
        ctx.problems.append(f"the server died: {server.log_tail()}")
    ctx.stop_servers()


def damaged_catalog_scenario(ctx: Context, damage: Callable[[DataEnv], str]) -> None:
    ctx.env.init()
    server = ctx.server("-before")
    load = Load(ctx.ledger, lambda _i: server.url, threads=4, phase=lambda: "before").start()
    time.sleep(1.5)
    load.stop()
    ctx.problems += unexpected_replies(ctx.ledger, "before")
    ctx.stop_servers()
    ctx.notes.append(damage(ctx.env))
    server = ctx.server("-after")
    # Everything the catalog held must be served again, as git has it.
    tips = cat_file_batch(ctx.env, [f"refs/heads/main:{k}" for k in KEYS])
    for key, data in zip(KEYS, tips):
        if data is None:
            continue
        project, kind, name = split_key(key)
        status, body = http_get(server.url, f"/api/projects/{project}/{kind}/?name={name}")
        if status != 200:
            ctx.problems.append(f"load of {key} after the restart answered {status}: {short(body, 300)}")
            continue
        if json.loads(body).get("content") != envelope_content(data):
            ctx.problems.append(f"load of {key} after the restart does not return main's content")
        count = int(ctx.env.git("rev-list", "--count", "refs/heads/main", "--", key).stdout.decode() or 0)
        seen, cursor = 0, None
        for _ in range(100):
            query = f"/api/projects/{project}/{kind}/history/?name={name}&limit=200" + (f"&cursor={cursor}" if cursor else "")
            status, body = http_get(server.url, query)
            if status != 200:
                ctx.problems.append(f"history of {key} answered {status}: {short(body, 300)}")
                break
            page = json.loads(body)
            seen += len(page.get("revisions", []))
            cursor = page.get("next_cursor")
            if not cursor:
                break
        if status == 200 and seen != count:
            ctx.problems.append(f"history of {key} has {seen} revisions, git has {count} commits touching it")
    load = Load(ctx.ledger, lambda _i: server.url, threads=4, phase=lambda: "after").start()
    time.sleep(1.0)
    load.stop()
    ctx.problems += unexpected_replies(ctx.ledger, "after")
    ctx.notes.append(f"before: {ctx.ledger.counts('before')}; after: {ctx.ledger.counts('after')}")
    critical = [line for line in server.errors_logged() if "critical" in line]
    if critical:
        ctx.notes.append("server logged: " + short(critical[0], 200))
    ctx.stop_servers()


def delete_catalog(env: DataEnv) -> str:
    removed = [suffix or "db" for suffix in ("", "-wal", "-shm") if _unlink(Path(str(env.catalog) + suffix))]
    return f"deleted the catalog ({', '.join(removed)})"


def truncate_catalog(env: DataEnv) -> str:
    connection = sqlite3.connect(env.catalog, timeout=30)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        connection.close()
    size = env.catalog.stat().st_size
    os.truncate(env.catalog, size // 2)
    for suffix in ("-wal", "-shm"):
        _unlink(Path(str(env.catalog) + suffix))
    return f"checkpointed the catalog, truncated it from {size} to {size // 2} bytes"


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False


# ---------------------------------------------------------------------------------------------------
# Running

@dataclass
class Result:
    name: str
    status: str  # ok | FAIL | skip
    problems: list[str]
    notes: list[str]
    seconds: float
    folder: str = ""


def run_scenario(name: str, body: Callable[[Context], None], work: Path, rounds: int, seconds: float,
                 mount: bool = False) -> Result:
    started = time.monotonic()
    root = work / name
    root.mkdir(parents=True)
    data = root / "data"
    if mount:
        data.mkdir()
        try:
            result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(data)], capture_output=True, timeout=30)
            reason = f"mount -t tmpfs failed ({result.returncode}): {short(result.stderr)}" if result.returncode != 0 else ""
        except (OSError, subprocess.TimeoutExpired) as error:
            reason = f"cannot run mount: {error}"
        if reason:
            shutil.rmtree(root, ignore_errors=True)
            return Result(name, "skip", [reason], [], 0)
        _mounts.append(str(data))
    database_url = None
    if name.endswith("-postgres"):
        admin = os.environ.get("FOLIO_TEST_DATABASE_URL")
        if not admin:
            shutil.rmtree(root, ignore_errors=True)
            return Result(name, "skip", ["FOLIO_TEST_DATABASE_URL is not set (scripts/postgres.sh start)"], [], 0)
        database_url = create_database(admin)
    ctx = Context(DataEnv(root, data, database_url), Ledger(), rounds, seconds)
    try:
        try:
            body(ctx)
        except ScenarioError as error:
            ctx.problems.append(str(error))
        except Exception:  # noqa: BLE001 - a bug here is a failure, and the checks still run
            ctx.problems.append("scenario raised: " + traceback.format_exc(limit=4).replace("\n", " | "))
        finally:
            for server in ctx.servers:
                if server.alive():
                    ctx.problems.append(f"{server.name} still running at the end of the scenario (killed)")
                    server.kill9()
        try:
            problems, notes = check_invariants(ctx.env, ctx.ledger)
            ctx.problems += problems
            ctx.notes += notes
        except Exception:  # noqa: BLE001
            ctx.problems.append("invariant check raised: " + traceback.format_exc(limit=4).replace("\n", " | "))
    finally:
        kill_all_children()
        if mount and ctx.problems:
            shutil.copytree(data, root / "data.kept", symlinks=True, dirs_exist_ok=True)
        if mount:
            subprocess.run(["umount", str(data)], capture_output=True, timeout=30)
            if str(data) in _mounts:
                _mounts.remove(str(data))
    status = "FAIL" if ctx.problems else "ok"
    if status == "ok" and not KEEP:
        shutil.rmtree(root, ignore_errors=True)
    return Result(name, status, ctx.problems, ctx.notes, time.monotonic() - started, str(root))


SCENARIOS: list[tuple[str, Callable[[Context], None], bool]] = [
    ("kill-server", scenario_kill_server, False),
    ("kill-cli", scenario_kill_cli, False),
    ("kill-during-push", scenario_kill_during_push, False),
    ("two-servers", scenario_two_servers, False),
    # The same load on two servers sharing one PostgreSQL catalog (FOLIO_TEST_DATABASE_URL).
    ("two-servers-postgres", scenario_two_servers, False),
    ("disk-full", scenario_disk_full, True),
    ("mirror-broken", scenario_mirror_broken, False),
    ("catalog-deleted", lambda ctx: damaged_catalog_scenario(ctx, delete_catalog), False),
    ("catalog-truncated", lambda ctx: damaged_catalog_scenario(ctx, truncate_catalog), False),
]


def report(result: Result) -> None:
    if result.status == "skip":
        print(f"skip {result.name}: {'; '.join(result.problems)}", flush=True)
        return
    if result.status == "ok":
        print(f"ok {result.name} ({result.seconds:.1f} s)", flush=True)
    else:
        more = f" (+{len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
        print(f"FAIL {result.name}: {short(result.problems[0], 300)}{more} ({result.seconds:.1f} s)", flush=True)
        for problem in result.problems:
            print(f"    problem: {problem}", flush=True)
        print(f"    data kept in {result.folder}", flush=True)
    for note in result.notes:
        print(f"    note: {note}", flush=True)


# ---------------------------------------------------------------------------------------------------
# --self-test: proves each invariant check can fail, by breaking a healthy store one way at a time.

def self_test(work: Path) -> int:
    root = work / "self-test"
    root.mkdir(parents=True)
    base = DataEnv(root / "base")
    ledger = Ledger()
    base.init()
    server = Server(base).start()
    try:
        load = Load(ledger, lambda _i: server.url, threads=4).start()
        time.sleep(1.5)
        load.stop()
        for key in KEYS[:2]:
            http_save(server.url, ledger.new(key, "", "http", "invalid"))  # an empty updated_by is refused
    finally:
        stop_problem = server.stop()
    if stop_problem:
        print(f"FAIL self-test: {stop_problem}")
        return 1
    ok = ledger.of("ok")
    print(f"self-test store: {len(ok)} acknowledged saves, {len(ledger.of('error'))} refused")

    def fresh(name: str) -> tuple[DataEnv, Ledger]:
        env = DataEnv(root / name)
        shutil.rmtree(env.data)
        shutil.copytree(base.data, env.data, symlinks=True)
        copy = Ledger()
        copy.saves = [Save(**vars(s)) for s in ledger.saves]
        return env, copy

    def fake_commit(env: DataEnv, saves: Ledger) -> None:
        saves.saves.append(Save(KEYS[0], str(uuid.uuid4()), "never saved", "ghost", "http", outcome="ok", status=200,
                                commit="0123456789abcdef0123456789abcdef01234567"))

    def wrong_content(env: DataEnv, saves: Ledger) -> None:
        target = next(s for s in saves.saves if s.outcome == "ok")
        target.content += "tampered\n"

    def wrong_author(env: DataEnv, saves: Ledger) -> None:
        target = next(s for s in saves.saves if s.outcome == "ok")
        target.author = "someone_else"

    def error_on_main(env: DataEnv, saves: Ledger) -> None:
        target = next(s for s in saves.saves if s.outcome == "ok")
        target.outcome, target.status, target.detail = "error", 503, "(self-test: pretend it failed)"

    def catalog_row(env: DataEnv, saves: Ledger) -> None:
        connection = sqlite3.connect(env.catalog)
        connection.execute("UPDATE revisions SET author = author || '_x' WHERE rowid = (SELECT min(rowid) FROM revisions)")
        connection.commit()
        connection.close()

    def catalog_document(env: DataEnv, saves: Ledger) -> None:
        connection = sqlite3.connect(env.catalog)
        connection.execute("UPDATE documents SET size = size + 1 WHERE file_key = ?", (KEYS[0],))
        connection.commit()
        connection.close()

    def mirror_stale(env: DataEnv, saves: Ledger) -> None:
        (env.mirror / KEYS[0]).write_bytes(b'{"content": "stale", "metadata": {}, "type": "prd"}')

    def mirror_missing(env: DataEnv, saves: Ledger) -> None:
        (env.mirror / KEYS[1]).unlink()

    def mirror_extra(env: DataEnv, saves: Ledger) -> None:
        (env.mirror / PROJECT / "prd" / "orphan.json").write_bytes(b"{}")

    def bad_object(env: DataEnv, saves: Ledger) -> None:
        made = env.git("hash-object", "-t", "commit", "--literally", "-w", "--stdin",
                       input=b"tree 0000000000000000000000000000000000000000\nauthor nobody\n\nbroken\n")
        env.git("update-ref", "refs/heads/broken", made.stdout.decode().strip())

    checks: list[tuple[str, str, Callable[[DataEnv, Ledger], None], dict]] = [
        ("baseline", "", lambda e, s: None, {}),
        ("a: a 2xx commit not on main", "a", fake_commit, {}),
        ("a: content differs at the commit", "a", wrong_content, {}),
        ("a: author differs at the commit", "a", wrong_author, {}),
        ("b: an error-answered save on main", "b", error_on_main, {}),
        ("c: a revisions row changed", "c", catalog_row, {}),
        ("c: a documents row changed", "c", catalog_document, {}),
        ("d: a stale mirror file", "d", mirror_stale, {}),
        ("d: a missing mirror file", "d", mirror_missing, {}),
        ("d: an extra mirror file", "d", mirror_extra, {}),
        ("e: a malformed commit", "e", bad_object, {}),
        ("f: the next save fails", "f", lambda e, s: None, {"next_save_binary": shutil.which("false") or "/bin/false"}),
        ("f: the next save leaves main.lock", "f", lambda e, s: None, {"lock": True}),
    ]
    failures = 0
    for index, (label, letter, mutate, options) in enumerate(checks):
        env, saves = fresh(f"case{index}")
        mutate(env, saves)
        after = None
        if options.get("lock"):
            after = lambda env=env: env.main_lock().write_text("0" * 40 + "\n")  # noqa: E731
        problems, _ = check_invariants(env, saves, next_save_binary=options.get("next_save_binary"), after_next_save=after)
        letters = sorted({p[1] for p in problems if p.startswith("(")})
        detected = letter in letters if letter else not problems
        others = [x for x in letters if x != letter]
        verdict = "detected" if letter and detected else ("clean" if not letter and detected else "MISSED")
        if not detected:
            failures += 1
        print(f"{'ok' if detected else 'FAIL'} self-test {label}: {verdict}"
              + (f" (also flagged: {', '.join(others)})" if others and letter else "")
              + ("" if detected or letter else ": " + "; ".join(problems)), flush=True)
        if problems and (not detected or VERBOSE):
            for problem in problems:
                print(f"    {problem}")
    print(f"{len(checks) - failures} passed, {failures} failed")
    return 1 if failures else 0


def snapshot_binary(source: str, folder: Path, wait: float = 600) -> str:
    """Copies the binary, so that a rebuild during the run (ETXTBSY, or a half-written file) cannot
    break it and every scenario tests the same build. Waits while the file is being written."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "folio"
    deadline = time.monotonic() + wait
    last = ""
    while True:
        try:
            before = os.stat(source)
            shutil.copyfile(source, target)
            os.chmod(target, 0o755)
            after = os.stat(source)
            unchanged = (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size)
            if unchanged and target.stat().st_size == after.st_size:
                if time.time() - after.st_mtime > 2:
                    probe = run([str(target), "--help"], timeout=60)
                    if probe.returncode == 0:
                        return str(target)
                    last = f"{source} --help exited {probe.returncode}: {short(probe.stderr)}"
                else:
                    last = f"{source} was written less than 2 s ago"
            else:
                last = f"{source} changed while it was copied"
        except OSError as error:
            last = f"cannot copy {source}: {error}"
        if time.monotonic() > deadline:
            raise ScenarioError(f"no stable binary within {wait:.0f} s: {last}")
        time.sleep(2)


def main() -> int:
    global FOLIO, VERBOSE, KEEP
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folio", required=True, help="the folio binary, e.g. .build/debug/folio")
    parser.add_argument("--rounds", type=int, default=3, help="kill rounds (kill-server; kill-cli runs twice as many); default 3")
    parser.add_argument("--seconds", type=float, default=8, help="load time for two-servers; default 8")
    parser.add_argument("--only", action="append", help="run only this scenario (repeatable): " + ", ".join(n for n, _, _ in SCENARIOS))
    parser.add_argument("--workdir", help="where the temporary data folders go (default: the system temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep every scenario's data folder (failed ones are always kept)")
    parser.add_argument("--seed", type=int, help="random seed, to repeat a run's choices")
    parser.add_argument("--self-test", action="store_true", help="instead of the scenarios, prove each invariant check can fail")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    FOLIO = os.path.abspath(args.folio)
    VERBOSE, KEEP = args.verbose, args.keep
    if not os.access(FOLIO, os.X_OK):
        print(f"FAIL setup: {FOLIO} is not an executable")
        print("0 passed, 1 failed")
        return 1
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    random.seed(seed)
    work = Path(tempfile.mkdtemp(prefix="folio-reliability-", dir=args.workdir))
    source = FOLIO
    try:
        FOLIO = snapshot_binary(source, work / "bin")
    except ScenarioError as error:
        print(f"FAIL setup: {error}")
        print("0 passed, 1 failed")
        return 1

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    passed = failed = 0
    try:
        if args.self_test:
            failed = self_test(work)
            return failed
        print(f"folio reliability: {source} (copied to {FOLIO}), seed {seed}, rounds {args.rounds}, seconds {args.seconds:g}, work {work}", flush=True)
        unknown = set(args.only or []) - {n for n, _, _ in SCENARIOS}
        if unknown:
            parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
        for name, body, mount in SCENARIOS:
            if args.only and name not in args.only:
                continue
            result = run_scenario(name, body, work, args.rounds, args.seconds, mount)
            report(result)
            if result.status == "ok":
                passed += 1
            elif result.status == "skip":
                if os.environ.get("FOLIO_REQUIRE_SERVICES") == "1":
                    print(f"FAIL {name}: skipped while FOLIO_REQUIRE_SERVICES=1", flush=True)
                    failed += 1
            else:
                failed += 1
    except KeyboardInterrupt as interrupt:
        print(f"FAIL interrupted: {interrupt}", flush=True)
        failed += 1
    finally:
        kill_all_children()
        unmount_all()
        if not args.self_test:
            print(f"{passed} passed, {failed} failed", flush=True)
        shutil.rmtree(work / "bin", ignore_errors=True)
        if failed == 0 and not KEEP:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
