#!/usr/bin/env python3
"""Git as a front door, end to end: the real `git` command against a live `folio serve`, over file://
and over smart HTTP, with the hooks `folio serve` installs.

Each scenario starts from a fresh data folder and prints PASS or FAIL with what it saw; the last line is
exactly `N passed, N failed` and the exit status is 1 if any failed.

    valid-push           a 3-file push (file:// and HTTP) is in each file's history, authored by the pusher,
                         in the catalog and in the mirror; `git fsck --strict` is clean
    valid-push-postgres  the same with the catalog on the test PostgreSQL server (FOLIO_TEST_DATABASE_URL)
    invalid-pushes       each kind of bad push is refused with its message and changes nothing (ref,
                         catalog, mirror): paths, envelopes, UTF-8, size, modes, bad intermediate commits
    merge-push           a merge with main on its second parent is refused (rebase, or refs/for/main)
    force-and-delete     force pushes and deletions of main are refused, over file:// and HTTP
    other-refs           pushes to other refs are refused unless FOLIO_PUSH_REFS allows them
    tokens               no token: 401; read-only token: clone yes, push 403; read-write token: push
    push-during-saves    pushes (fetch, rebase, push) race API saves: nothing acknowledged is lost, and the
                         API's next save builds on the pushed tip
    land-under-load      pushes to refs/for/main land as saves between back-to-back API saves; an overlapping
                         edit does not land and says so
    aborted-clones       clients killed mid-clone: git is stopped, no process lingers, later clones are served
    textconv             `git log -p` in a clone set up as README says shows content lines
    reindex-equals       `folio reindex` after pushes gives the same catalog as before
    rewritten-history    main moved backwards around the hooks: the next start rebuilds catalog and mirror
    missed-post-receive  a push whose post-receive never ran is recorded and mirrored at the next start
    hooks-tampered       a hook replaced under a running server turns HTTP pushes off until reinstalled
    hooks-install        idempotent; refuses a hook it did not write unless --force

Usage: front_door.py [--folio .build/debug/folio] [--only NAME ...] [--keep]
"""
import argparse
import base64
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

ARGS = None
RESULTS = []
TOKENS = "app:rwsecret,viewer:rosecret:ro"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Deployment:
    """A data folder, the settings that point at it, and a running `folio serve` when started."""

    def __init__(self, name, extra_env=None):
        self.root = tempfile.mkdtemp(prefix=f"folio-git-{name}-")
        self.data = os.path.join(self.root, "data")
        self.repo = os.path.join(self.data, "folio.git")
        self.env = dict(os.environ)
        for key in list(self.env):
            if key.startswith("FOLIO_") or key.startswith("AWS_") or key in ("MEDIA_ROOT", "FILE_STORAGE_TYPE"):
                del self.env[key]
        self.env.update({
            "FOLIO_REPO_PATH": self.repo,
            "FOLIO_DATABASE_URL": "sqlite:" + os.path.join(self.data, "folio.sqlite"),
            "MEDIA_ROOT": os.path.join(self.data, "media"),
            "FOLIO_API_TOKENS": TOKENS,
            "FOLIO_MAX_CONTENT_BYTES": "4096",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_AUTHOR_NAME": "Test Pusher", "GIT_AUTHOR_EMAIL": "pusher@example.com",
            "GIT_COMMITTER_NAME": "Test Pusher", "GIT_COMMITTER_EMAIL": "pusher@example.com",
        })
        self.env.update(extra_env or {})
        self.server = None
        self.port = None
        self.log = os.path.join(self.root, "serve.log")

    def folio(self, *args, input=None, check_rc=True):
        result = subprocess.run([ARGS.folio, *args], env=self.env, input=input, capture_output=True, text=True, timeout=300)
        if check_rc and result.returncode != 0:
            raise Failure(f"folio {' '.join(args)} exited {result.returncode}: {result.stderr.strip()[:500]}")
        return result

    def start(self):
        env = dict(self.env, FOLIO_PORT="0", FOLIO_HOST="127.0.0.1")
        self.server = subprocess.Popen([ARGS.folio, "serve"], env=env, stdout=subprocess.PIPE, stderr=open(self.log, "a"), text=True)
        line = self.server.stdout.readline()
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        check(match, f"folio serve did not start: {line!r}; log: {open(self.log).read()[-2000:]}")
        self.port = int(match.group(1))

    def stop(self):
        if self.server:
            self.server.terminate()
            self.server.wait(timeout=60)
            self.server = None

    def url(self, token="rwsecret", user="someone"):
        auth = f"{user}:{token}@" if token else ""
        return f"http://{auth}127.0.0.1:{self.port}/git/folio.git"

    def api(self, method, path, body=None, token="rwsecret"):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, data=data, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def ref(self):
        result = subprocess.run(["git", "--git-dir", self.repo, "rev-parse", "--verify", "-q", "refs/heads/main"],
                                capture_output=True, text=True)
        return result.stdout.strip() or None

    def catalog(self):
        """Documents and revisions as rows without surrogate keys, sorted."""
        db = sqlite3.connect(os.path.join(self.data, "folio.sqlite"))
        try:
            docs = sorted(db.execute(
                "SELECT file_key, commit_id, blob_id, size, updated_by, deleted_at IS NOT NULL, metadata FROM documents").fetchall())
            columns = [row[1] for row in db.execute("PRAGMA table_info(revisions)")]
            keep = [c for c in columns if c not in ("seq", "id", "recorded_at")]
            revs = sorted(db.execute(f"SELECT {', '.join(keep)} FROM revisions").fetchall(), key=repr)
            tip = db.execute("SELECT value FROM catalog_state WHERE name = 'ingested_tip'").fetchall()
            return {"documents": docs, "revisions": revs, "tip": tip}
        finally:
            db.close()

    def mirror(self):
        files = {}
        media = os.path.join(self.data, "media")
        for folder, _, names in os.walk(media):
            for name in names:
                if name.endswith(".tmp"):
                    continue
                path = os.path.join(folder, name)
                files[os.path.relpath(path, media)] = open(path, "rb").read()
        return files

    def fsck(self):
        result = subprocess.run(["git", "--git-dir", self.repo, "fsck", "--strict"], capture_output=True, text=True)
        check(result.returncode == 0, f"git fsck --strict failed: {result.stdout}{result.stderr}")

    def clone(self, name, source):
        path = os.path.join(self.root, name)
        git("clone", "-q", source, path, env=self.env)
        return path

    def cleanup(self):
        self.stop()
        if not ARGS.keep:
            shutil.rmtree(self.root, ignore_errors=True)


def git(*args, cwd=None, env=None, check_rc=True):
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if check_rc and result.returncode != 0:
        raise Failure(f"git {' '.join(args)} exited {result.returncode}: {(result.stdout + result.stderr).strip()[:800]}")
    return result


def envelope(content, kind="prd", metadata=None):
    return json.dumps({"content": content, "metadata": metadata or {}, "type": kind})


def write(clone, path, text, mode="w"):
    full = os.path.join(clone, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, mode) as handle:
        handle.write(text)


def seed(deployment):
    """One document saved through the API, so that main exists."""
    status, body = deployment.api("POST", "/api/projects/p1/prd/", {"content": "seed\n", "updated_by": "Seeder"})
    check(status in (200, 201), f"seed save answered {status}: {body}")


def history_authors(deployment, key):
    project, kind, name = key[:-5].split("/")
    status, body = deployment.api("GET", f"/api/projects/{project}/{kind}/history/?name={name}")
    check(status == 200, f"history of {key} answered {status}: {body}")
    return [(entry["commit"], entry["author"]) for entry in body["revisions"]]


class ApiSavers:
    """Three threads saving new PRDs to project p3 through the API until stopped, `pause` seconds apart."""

    def __init__(self, d, pause):
        self.d, self.pause = d, pause
        self.acknowledged, self.errors = [], []
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self._save, args=(w,)) for w in range(3)]

    def _save(self, worker):
        n = 0
        while not self.stop_event.is_set():
            name = f"api_{worker}_{n}"
            status, body = self.d.api("POST", "/api/projects/p3/prd/", {"name": name, "content": f"{name}\n", "updated_by": f"Saver {worker}"})
            if status in (200, 201):
                self.acknowledged.append((f"p3/prd/{name}.json", body["commit"]))
            else:
                self.errors.append((status, body))
            n += 1
            self.stop_event.wait(self.pause)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_):
        self.stop_event.set()
        for thread in self.threads:
            thread.join()


def commit_two_files(d, clone, name, message):
    """A PRD and a plan in p4, committed in the clone as one commit."""
    write(clone, f"p4/prd/{name}.json", envelope(f"{name}\n"))
    write(clone, f"p4/implementation/{name}.json", envelope(f"plan {name}\n", "implementation"))
    git("add", "-A", cwd=clone)
    git("commit", "-qm", message, cwd=clone, env=d.env)
    return f"p4/prd/{name}.json"


# Scenarios ---------------------------------------------------------------------------------------------

def scenario_valid_push(d):
    d.start()
    seed(d)
    for transport, source in (("file", "file://" + d.repo), ("http", d.url())):
        clone = d.clone("c-" + transport, source)
        keys = [f"p1/prd/{transport}_a.json", f"p1/implementation/{transport}_b.json", f"p2/prd/{transport}_c.json"]
        for key in keys:
            write(clone, key, envelope(f"first line of {key}\nsecond\n", key.split("/")[1], {"title": key}))
        git("add", "-A", cwd=clone, env=d.env)
        git("-c", "user.name=Dana Pusher", "-c", "user.email=dana@example.com", "commit", "-qm", f"Three files over {transport}",
            cwd=clone, env=dict(d.env, GIT_AUTHOR_NAME="Dana Pusher", GIT_AUTHOR_EMAIL="dana@example.com"))
        pushed = git("push", "origin", "main", cwd=clone, env=d.env)
        check("recorded" in pushed.stderr, f"the push did not report the catalog: {pushed.stderr}")
        commit = git("rev-parse", "HEAD", cwd=clone).stdout.strip()
        check(d.ref() == commit, f"main is {d.ref()}, not the pushed {commit}")
        for key in keys:
            entries = history_authors(d, key)
            check(entries and entries[0] == (commit, "Dana Pusher"), f"{key}'s history is {entries}, expected ({commit}, Dana Pusher)")
            log = d.folio("log", key).stdout
            check(commit[:7] in log and "Dana Pusher" in log, f"folio log {key} does not list {commit[:7]}: {log}")
            mirrored = d.mirror().get("projects/" + key)
            blob = git("show", f"{commit}:{key}", cwd=clone).stdout.encode()
            check(mirrored == blob, f"the mirror's {key} is {mirrored!r}, not the pushed bytes")
        # The API reads what the push wrote.
        status, body = d.api("GET", f"/api/projects/p1/prd/?name={transport}_a")
        check(status == 200 and body["content"].startswith("first line"), f"API load after push: {status} {body}")
    d.fsck()
    return "3-file pushes over file:// and HTTP: in history (author from the commit), catalog, mirror and API"


INVALID = [
    # (name, files to write {path: bytes}, extra git steps, expected message fragment)
    ("outside-layout", {"README.md": b"hello\n"}, "is not a file key"),
    ("bad-name", {"p1/prd/bad name.json": envelope("x").encode()}, "name"),
    ("not-json", {"p1/prd/notjson.json": b"just text\n"}, "not valid JSON"),
    ("content-not-string", {"p1/prd/c.json": b'{"content": 5, "metadata": {}, "type": "prd"}'}, "\"content\" is"),
    ("metadata-not-object", {"p1/prd/m.json": b'{"content": "x", "metadata": [], "type": "prd"}'}, "\"metadata\" is"),
    ("type-mismatch", {"p1/prd/t.json": envelope("x", "implementation").encode()}, "\"type\" is"),
    ("extra-field", {"p1/prd/e.json": b'{"content": "x", "metadata": {}, "type": "prd", "extra": 1}'}, "fields other than"),
    ("invalid-utf8", {"p1/prd/u.json": b'{"content": "caf\xe9", "metadata": {}, "type": "prd"}'}, "not valid UTF-8"),
    ("too-large", {"p1/prd/big.json": envelope("x" * 5000).encode()}, "the limit is 4096"),
    ("nul-in-content", {"p1/prd/nul.json": envelope("a\u0000b").encode()}, "NUL"),
]


def scenario_valid_push_postgres(d):
    admin = os.environ.get("FOLIO_TEST_DATABASE_URL")
    if not admin:
        if os.environ.get("FOLIO_REQUIRE_SERVICES") == "1":
            raise Failure("FOLIO_TEST_DATABASE_URL is not set (scripts/postgres.sh start writes it)")
        return "SKIP: no FOLIO_TEST_DATABASE_URL"
    name = "folio_git_" + os.urandom(6).hex()
    created = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin, "-c", f"CREATE DATABASE {name}"],
                             capture_output=True, text=True, timeout=60)
    check(created.returncode == 0, f"cannot create a test database: {created.stderr}")
    base, _, query = admin.partition("?")
    d.env["FOLIO_DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
    scenario_valid_push(d)
    rows = subprocess.run(["psql", "-X", "-A", "-t", "-d", d.env["FOLIO_DATABASE_URL"], "-c",
                           "SELECT count(*) FROM revisions WHERE author = 'Dana Pusher'"], capture_output=True, text=True, timeout=60)
    check(rows.stdout.strip() == "6", f"PostgreSQL holds {rows.stdout.strip()!r} revisions by the pusher, not 6: {rows.stderr}")
    return "the same pushes with the catalog on PostgreSQL: 6 revisions by the pusher, in history, mirror and API"


def scenario_invalid_pushes(d):
    d.start()
    seed(d)
    clone = d.clone("c", d.url())
    seen = []
    cases = [(name, files, fragment, None) for name, files, fragment in INVALID]
    cases += [("executable", {"p1/prd/x.json": envelope("x").encode()}, "executable", "chmod"),
              ("symlink", {}, "symbolic link", "symlink"),
              ("bad-intermediate-commit", {"p1/prd/ok.json": b"not json"}, "not valid JSON", "fix-later")]
    for name, files, fragment, special in cases:
        before = (d.ref(), d.catalog(), d.mirror())
        git("reset", "-q", "--hard", "origin/main", cwd=clone)
        for path, data in files.items():
            write(clone, path, data, "wb")
        if special == "symlink":
            os.symlink("main_prd.json", os.path.join(clone, "p1/prd/link.json"))
        git("add", "-A", cwd=clone)
        if special == "chmod":
            git("update-index", "--chmod=+x", "p1/prd/x.json", cwd=clone)
        git("commit", "-qm", f"Bad: {name}", cwd=clone, env=d.env)
        if special == "fix-later":
            # The bad file is fixed in a later commit: the push is still refused, since history would show it.
            write(clone, "p1/prd/ok.json", envelope("fixed").encode(), "wb")
            git("commit", "-qam", "Fix it", cwd=clone, env=d.env)
        for source in ("origin", "file://" + d.repo):
            result = git("push", source, "HEAD:main", cwd=clone, env=d.env, check_rc=False)
            check(result.returncode != 0, f"{name}: the push over {source} was accepted")
            check("push refused" in result.stderr and fragment in result.stderr,
                  f"{name}: the refusal does not say {fragment!r}: {result.stderr[-800:]}")
            check(re.search(r"commit [0-9a-f]{7}", result.stderr), f"{name}: the message does not name the commit: {result.stderr}")
        after = (d.ref(), d.catalog(), d.mirror())
        check(before == after, f"{name}: the refused push changed the ref, the catalog or the mirror")
        seen.append(name)
    d.fsck()
    return f"{len(seen)} kinds refused with their message over HTTP and file://; ref, catalog and mirror unchanged"


def scenario_merge_push(d):
    d.start()
    seed(d)
    clone = d.clone("c", d.url())
    commit_two_files(d, clone, "mine", "Mine")
    status, body = d.api("POST", "/api/projects/p1/prd/", {"content": "saved meanwhile\n", "updated_by": "Api"})
    check(status == 200, f"the API save: {status} {body}")
    git("-c", "pull.rebase=false", "pull", "-q", "--no-edit", "origin", "main", cwd=clone, env=d.env)
    parents = git("log", "-1", "--format=%P", cwd=clone).stdout.split()
    check(len(parents) == 2, f"the pull did not make a merge commit: {parents}")
    before = (d.ref(), d.catalog(), d.mirror())
    pushed = git("push", "origin", "main", cwd=clone, env=d.env, check_rc=False)
    check(pushed.returncode != 0 and "second parent" in pushed.stderr and "git pull --rebase" in pushed.stderr,
          f"a merge with main on its second parent: {pushed.stderr[-600:]}")
    landed = git("push", "origin", "HEAD:refs/for/main", cwd=clone, env=d.env, check_rc=False)
    check(landed.returncode != 0 and "merge commit, which cannot be landed" in landed.stderr, f"landing a merge: {landed.stderr[-600:]}")
    check(before == (d.ref(), d.catalog(), d.mirror()), "a refused merge push changed something")
    # The same work rebased goes in, and the API's save stays in history.
    git("reset", "-q", "--hard", "HEAD^1", cwd=clone)
    git("pull", "-q", "--rebase", "origin", "main", cwd=clone, env=d.env)
    git("push", "-q", "origin", "main", cwd=clone, env=d.env)
    authors = [author for _, author in history_authors(d, "p1/prd/main_prd.json")]
    check(authors == ["Api", "Seeder"], f"main_prd's history after the rebased push: {authors}")
    return "a merge putting main on its second parent is refused (to main and to refs/for/main); rebased, it goes in"


def scenario_force_and_delete(d):
    d.start()
    seed(d)
    clone = d.clone("c", d.url())
    write(clone, "p1/prd/one.json", envelope("one\n"))
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "One", cwd=clone, env=d.env)
    git("push", "-q", "origin", "main", cwd=clone, env=d.env)
    git("commit", "-q", "--amend", "-m", "One, amended", cwd=clone, env=d.env)
    before = (d.ref(), d.catalog(), d.mirror())
    for source in ("origin", "file://" + d.repo):
        forced = git("push", "-f", source, "main", cwd=clone, env=d.env, check_rc=False)
        check(forced.returncode != 0 and "not a fast-forward" in forced.stderr, f"force push over {source}: {forced.stderr[-600:]}")
        deleted = git("push", source, ":main", cwd=clone, env=d.env, check_rc=False)
        check(deleted.returncode != 0 and "deleting refs/heads/main is refused" in deleted.stderr,
              f"delete over {source}: {deleted.stderr[-600:]}")
    check(before == (d.ref(), d.catalog(), d.mirror()), "a refused force push or delete changed something")
    return "force push and delete of main refused over HTTP and file://, nothing changed"


def scenario_other_refs(d):
    d.start()
    seed(d)
    clone = d.clone("c", d.url())
    refused = git("push", "origin", "main:refs/heads/feature", cwd=clone, env=d.env, check_rc=False)
    check(refused.returncode != 0 and "pushes to refs/heads/feature are refused" in refused.stderr, refused.stderr[-600:])
    tag = git("tag", "v1", cwd=clone)
    refused = git("push", "origin", "v1", cwd=clone, env=d.env, check_rc=False)
    check(refused.returncode != 0 and "refs/tags/v1" in refused.stderr, refused.stderr[-600:])
    d.stop()
    d.env["FOLIO_PUSH_REFS"] = "refs/heads/drafts/*"
    d.start()  # reinstalls the hooks with the new setting
    allowed = git("push", d.url(), "main:refs/heads/drafts/x", cwd=clone, env=d.env, check_rc=False)
    check(allowed.returncode == 0, f"a push to an allowed ref was refused: {allowed.stderr[-600:]}")
    return "other refs and tags refused by default; FOLIO_PUSH_REFS lets a pattern through"


def scenario_tokens(d):
    d.start()
    seed(d)
    anonymous = git("clone", "-q", d.url(token=None), os.path.join(d.root, "anon"), env=d.env, check_rc=False)
    check(anonymous.returncode != 0, "a clone without a token succeeded")
    wrong = git("clone", "-q", d.url(token="nope"), os.path.join(d.root, "wrong"), env=d.env, check_rc=False)
    check(wrong.returncode != 0, "a clone with an unknown token succeeded")
    clone = d.clone("ro", d.url(token="rosecret"))
    git("fetch", "-q", "origin", cwd=clone, env=d.env)
    write(clone, "p1/prd/ro.json", envelope("read-only\n"))
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "From a read-only token", cwd=clone, env=d.env)
    before = (d.ref(), d.catalog())
    pushed = git("push", "origin", "main", cwd=clone, env=d.env, check_rc=False)
    check(pushed.returncode != 0 and "403" in pushed.stderr, f"the read-only push: {pushed.stderr[-600:]}")
    check(before == (d.ref(), d.catalog()), "a refused read-only push changed something")
    pushed = git("push", d.url(token="rwsecret"), "main", cwd=clone, env=d.env, check_rc=False)
    check(pushed.returncode == 0, f"the read-write token's push failed: {pushed.stderr[-600:]}")
    return "no or unknown token: no clone; read-only: clone and fetch, push 403; read-write: push"


def scenario_push_during_saves(d):
    d.start()
    seed(d)
    pushed = []
    # About a save a second from each of three writers. Much faster and a fetch-rebase-push round trip
    # rarely finds main where it fetched it: git refuses the push as not a fast-forward (on the client,
    # before anything is sent), which loses nothing but starves the pusher (land-under-load is the way).
    with ApiSavers(d, pause=1.0) as savers:
        clone = d.clone("c", d.url())
        for round_ in range(8):
            key = commit_two_files(d, clone, f"push_{round_}", f"Push {round_}")
            for attempt in range(60):
                result = git("push", "origin", "main", cwd=clone, env=d.env, check_rc=False)
                if result.returncode == 0:
                    break
                # API saves moved main meanwhile: bring them in and try again, as a person would.
                git("pull", "-q", "--rebase", "origin", "main", cwd=clone, env=d.env)
            else:
                raise Failure(f"push {round_} never got through: {result.stderr[-600:]}")
            pushed.append((key, git("rev-parse", "HEAD", cwd=clone).stdout.strip()))
    acknowledged, errors = savers.acknowledged, savers.errors
    check(not errors, f"API saves failed during pushes: {errors[:3]}")
    tip = d.ref()
    main_log = set(git("--git-dir", d.repo, "rev-list", "main").stdout.split())
    for key, commit in acknowledged + pushed:
        check(commit in main_log, f"{key} at {commit} was acknowledged but is not on main")
        check(git("--git-dir", d.repo, "cat-file", "-e", f"main:{key}", check_rc=False).returncode == 0, f"{key} is not in main's tree")
        status, body = d.api("GET", f"/api/projects/{key.split('/')[0]}/prd/?name={key.split('/')[2][:-5]}")
        check(status == 200, f"{key} is not readable through the API: {status}")
    # The API's next save builds on the pushed tip.
    status, body = d.api("POST", "/api/projects/p3/prd/", {"name": "after", "content": "after\n", "updated_by": "After"})
    check(status in (200, 201), f"the save after the pushes: {status} {body}")
    parent = git("--git-dir", d.repo, "rev-parse", body["commit"] + "^").stdout.strip()
    check(parent == tip, f"the next save's parent is {parent}, not the tip {tip}")
    d.stop()
    check(d.catalog()["tip"] == [(d.ref(),)], "the catalog's tip is not main after the server stopped")
    d.fsck()
    return f"{len(acknowledged)} API saves and {len(pushed)} pushes interleaved; none lost; the next save builds on the tip"


def scenario_land_under_load(d):
    d.start()
    seed(d)
    landed = []
    # Saves back to back: a plain push would find main moved nearly every time (see push-during-saves).
    with ApiSavers(d, pause=0) as savers:
        clone = d.clone("c", d.url())
        for round_ in range(4):
            key = commit_two_files(d, clone, f"land_{round_}", f"Land {round_}")
            result = git("push", "origin", "HEAD:refs/for/main", cwd=clone, env=d.env)
            check(re.search(r"landed [0-9a-f]{7} \(\"Land %d\"\) as [0-9a-f]{7}" % round_, result.stderr), f"round {round_}: {result.stderr[-600:]}")
            landed.append(key)
            git("fetch", "-q", "origin", cwd=clone, env=d.env)
            git("reset", "-q", "--keep", "origin/main", cwd=clone)
    acknowledged, errors = savers.acknowledged, savers.errors
    check(not errors, f"API saves failed during landings: {errors[:3]}")
    check(len(acknowledged) > 20, f"only {len(acknowledged)} API saves ran beside the landings: the race was not exercised")
    refs = git("--git-dir", d.repo, "for-each-ref", "--format=%(refname)").stdout.split()
    check(refs == ["refs/heads/main"], f"refs after landing: {refs}")
    for key in landed:
        entries = history_authors(d, key)
        check(len(entries) == 1 and entries[0][1] == "Test Pusher", f"{key}'s history: {entries}")
    main_log = set(git("--git-dir", d.repo, "rev-list", "main").stdout.split())
    lost = [key for key, commit in acknowledged if commit not in main_log]
    check(not lost, f"acknowledged API saves not on main: {lost[:3]}")

    # A pushed edit that overlaps a newer API save does not land, and says so; nothing of it reaches main.
    status, body = d.api("POST", "/api/projects/p1/prd/", {"content": "edited by the API\n", "updated_by": "Api"})
    check(status == 200, f"the API edit: {status} {body}")
    write(clone, "p1/prd/main_prd.json", envelope("edited by the pusher\n"))
    git("commit", "-qam", "Overlapping edit", cwd=clone, env=d.env)
    write(clone, "p4/prd/after_conflict.json", envelope("after\n"))
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "After the conflict", cwd=clone, env=d.env)
    before = (d.ref(), d.catalog())
    result = git("push", "origin", "HEAD:refs/for/main", cwd=clone, env=d.env)
    check("(\"Overlapping edit\") did not land" in result.stderr and "(\"After the conflict\") did not land" in result.stderr,
          f"the conflicting landing: {result.stderr[-800:]}")
    check(before == (d.ref(), d.catalog()), "a landing that did not happen changed main or the catalog")
    refs = git("--git-dir", d.repo, "for-each-ref", "--format=%(refname)").stdout.split()
    check(refs == ["refs/heads/main"], f"refs after the refused landing: {refs}")
    d.stop()
    d.fsck()
    return f"4 pushes to refs/for/main landed between {len(acknowledged)} back-to-back API saves; an overlapping edit was refused with its message"


def scenario_aborted_clones(d):
    d.start()
    seed(d)
    # Enough incompressible content that a clone is still streaming when its client is killed.
    clone = d.clone("big", d.url())
    for i in range(24):
        write(clone, f"p9/prd/big_{i}.json", envelope(base64.b64encode(os.urandom(3000)).decode()))
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "Big", cwd=clone, env=d.env)
    git("push", "-q", "origin", "main", cwd=clone, env=d.env)
    cut = 0
    for n in range(12):
        target = os.path.join(d.root, f"aborted-{n}")
        client = subprocess.Popen(["git", "clone", "-q", d.url(), target], env=d.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.05 * (n % 4))
        if client.poll() is None:
            cut += 1
        client.kill()
        client.wait()
    # The server stopped git for every vanished client and gave its places back: with 8 at most, a
    # leak would turn these into 503s.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        lingering = subprocess.run(["pgrep", "-f", f"http-backend|upload-pack.*{d.repo}"], capture_output=True, text=True).stdout.split()
        if not lingering:
            break
        time.sleep(0.2)
    check(not lingering, f"git processes still running 20 s after their clients went: {lingering}")
    for n in range(10):
        result = git("clone", "-q", d.url(), os.path.join(d.root, f"after-{n}"), env=d.env, check_rc=False)
        check(result.returncode == 0, f"clone {n} after the aborted ones failed: {result.stderr[-400:]}")
    return f"12 clones killed mid-way ({cut} while running): no git process left, and 10 clones after them all served"


def scenario_textconv(d):
    d.start()
    seed(d)
    clone = d.clone("c", d.url())
    git("config", "diff.folio.textconv", f"{os.path.abspath(ARGS.folio)} textconv", cwd=clone)
    with open(os.path.join(clone, ".git/info/attributes"), "a") as handle:
        handle.write("*.json diff=folio\n")
    write(clone, "p1/prd/main_prd.json", envelope("seed\na brand new line\n", metadata={"owner": "Ed"}))
    git("commit", "-qam", "Edit", cwd=clone, env=d.env)
    patch = git("log", "-p", "-1", cwd=clone).stdout
    check("+a brand new line" in patch and "+metadata.owner: Ed" in patch, f"git log -p does not show content lines:\n{patch}")
    plain = git("-c", "diff.folio.textconv=cat", "log", "-p", "-1", "--no-textconv", cwd=clone).stdout
    check("+a brand new line" not in plain, "without the driver the diff was already by line (the check would prove nothing)")
    return "git log -p shows '+a brand new line' and metadata lines with the driver, one JSON line without"


def scenario_reindex_equals(d):
    scenario_valid_push(d)
    clone = os.path.join(d.root, "c-http")
    git("pull", "-q", "origin", "main", cwd=clone, env=d.env)
    git("rm", "-q", "p1/prd/http_a.json", cwd=clone)
    write(clone, "p2/prd/http_c.json", envelope("changed\n"))
    git("commit", "-qam", "Delete one, change one", cwd=clone, env=d.env)
    git("push", "-q", "origin", "main", cwd=clone, env=d.env)
    d.stop()
    before = d.catalog()
    d.folio("reindex")
    after = d.catalog()
    check(before == after, f"reindex changed the catalog:\nbefore {before}\nafter {after}")
    return f"{len(before['revisions'])} revisions and {len(before['documents'])} files equal after folio reindex"


def scenario_rewritten_history(d):
    d.start()
    seed(d)
    clone = d.clone("c", d.url())
    old_tip = d.ref()
    write(clone, "p1/prd/later.json", envelope("later\n"))
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "Later", cwd=clone, env=d.env)
    git("push", "-q", "origin", "main", cwd=clone, env=d.env)
    check("projects/p1/prd/later.json" in d.mirror(), "the pushed file was not mirrored")
    d.stop()
    # An administrator moves main back around the hooks (a restore from backup).
    git("--git-dir", d.repo, "update-ref", "refs/heads/main", old_tip)
    d.start()
    status, body = d.api("GET", "/api/projects/p1/prd/history/?name=later")
    check(status == 404, f"the file from the rewritten history still has a history: {status} {body}")
    status, body = d.api("GET", "/api/projects/p1/files/")
    check(status == 200 and [f["file_key"] for f in body["files"]] == ["p1/prd/main_prd.json"], f"files after the rewrite: {body}")
    d.stop()
    check("projects/p1/prd/later.json" not in d.mirror(), "the mirror still has the file from the rewritten history")
    log = open(d.log).read()
    check("history was rewritten" in log, "the rebuild was not logged")
    check(d.catalog()["tip"] == [(old_tip,)], "the catalog's tip is not the rewound main")
    return "main moved back around the hooks: the next start logged it, rebuilt the catalog and removed the file from the mirror"


def scenario_missed_post_receive(d):
    d.start()
    seed(d)
    clone = d.clone("c", "file://" + d.repo)
    d.stop()
    # The post-receive never ran (the machine went down as the push finished, say).
    hook = os.path.join(d.repo, "hooks", "post-receive")
    with open(hook, "w") as handle:
        handle.write("#!/bin/sh\n# folio-hook: 1\nexit 0\n")
    write(clone, "p1/prd/missed.json", envelope("missed\n"))
    write(clone, "p1/implementation/missed.json", envelope("missed plan\n", "implementation"))
    write(clone, ".gitattributes", "*.json diff=folio\n")
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "Pushed while nothing recorded it", cwd=clone, env=d.env)
    git("push", "-q", "origin", "main", cwd=clone, env=d.env)
    commit = git("rev-parse", "HEAD", cwd=clone).stdout.strip()
    check(d.ref() == commit, "the push did not move main")
    check(not any(row[0] == "p1/prd/missed.json" for row in d.catalog()["documents"]), "the catalog has the file already (the check would prove nothing)")
    d.start()
    for kind in ("prd", "implementation"):
        entries = history_authors(d, f"p1/{kind}/missed.json")
        check(entries == [(commit, "Test Pusher")], f"after the start, {kind}'s history is {entries}")
    d.stop()
    check("projects/p1/prd/missed.json" in d.mirror(), "the start did not mirror the pushed file")
    check(not any(".gitattributes" in path for path in d.mirror()), ".gitattributes reached the mirror")
    return "a push whose post-receive never ran is recorded and mirrored by the next start (.gitattributes allowed, not catalogued)"


def scenario_hooks_tampered(d):
    d.start()
    seed(d)
    clone = d.clone("c", d.url())
    commit_two_files(d, clone, "after_tamper", "After the hook was replaced")
    hook = os.path.join(d.repo, "hooks", "pre-receive")
    with open(hook, "w") as handle:
        handle.write("#!/bin/sh\nexit 0\n")
    before = d.ref()
    refused = git("push", "origin", "main", cwd=clone, env=d.env, check_rc=False)
    check(refused.returncode != 0 and "403" in refused.stderr, f"a push with a replaced hook: {refused.stderr[-400:]}")
    check(d.ref() == before, "the push went in past a replaced hook")
    d.folio("hooks", "install", "--force")
    pushed = git("push", "origin", "main", cwd=clone, env=d.env, check_rc=False)
    check(pushed.returncode == 0, f"the push after reinstalling: {pushed.stderr[-400:]}")
    return "a hook replaced while the server runs turns HTTP pushes off (403) until folio hooks install"


def scenario_hooks_install(d):
    first = d.folio("hooks", "install").stdout
    check("pre-receive: written" in first, first)
    second = d.folio("hooks", "install").stdout
    check("pre-receive: unchanged" in second and "post-receive: unchanged" in second, f"installing again rewrote: {second}")
    check(d.folio("hooks", "status").stdout.strip() == "current", "status after install is not current")
    for name, value in (("receive.denyNonFastForwards", "true"), ("receive.denyDeletes", "true"), ("receive.fsckObjects", "true"),
                        ("receive.autogc", "false"), ("gc.auto", "0")):
        got = git("--git-dir", d.repo, "config", name, check_rc=False).stdout.strip()
        check(got == value, f"{name} is {got!r} after install, not {value!r}")
    hook = os.path.join(d.repo, "hooks", "post-receive")
    with open(hook, "w") as handle:
        handle.write("#!/bin/sh\necho mine\n")
    refused = d.folio("hooks", "install", check_rc=False)
    check(refused.returncode != 0 and "not written by Folio" in refused.stderr, refused.stderr)
    check(open(hook).read() == "#!/bin/sh\necho mine\n", "a refused install changed the foreign hook")
    check(d.folio("hooks", "status", check_rc=False).returncode != 0, "status does not flag the foreign hook")
    forced = d.folio("hooks", "install", "--force").stdout
    check("post-receive: written" in forced, forced)
    mode = os.stat(hook).st_mode & 0o777
    check(mode == 0o700, f"the hook's mode is {oct(mode)}, not 0700 (it may hold secrets)")
    return "install twice: unchanged; a foreign hook refused then replaced with --force; hooks are 0700"


SCENARIOS = {
    "valid-push": scenario_valid_push,
    "valid-push-postgres": scenario_valid_push_postgres,
    "invalid-pushes": scenario_invalid_pushes,
    "merge-push": scenario_merge_push,
    "force-and-delete": scenario_force_and_delete,
    "other-refs": scenario_other_refs,
    "tokens": scenario_tokens,
    "push-during-saves": scenario_push_during_saves,
    "land-under-load": scenario_land_under_load,
    "aborted-clones": scenario_aborted_clones,
    "textconv": scenario_textconv,
    "reindex-equals": scenario_reindex_equals,
    "rewritten-history": scenario_rewritten_history,
    "missed-post-receive": scenario_missed_post_receive,
    "hooks-tampered": scenario_hooks_tampered,
    "hooks-install": scenario_hooks_install,
}


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folio", default=".build/debug/folio")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--keep", action="store_true")
    ARGS = parser.parse_args()
    ARGS.folio = os.path.abspath(ARGS.folio)
    passed = failed = 0
    for name, scenario in SCENARIOS.items():
        if ARGS.only and name not in ARGS.only:
            continue
        deployment = Deployment(name)
        started = time.monotonic()
        try:
            detail = scenario(deployment)
            if detail.startswith("SKIP"):
                print(f"SKIP {name}: {detail[6:]}", flush=True)
            else:
                print(f"PASS {name} ({time.monotonic() - started:.1f} s): {detail}", flush=True)
                passed += 1
        except Exception as error:
            failed += 1
            kind = "" if isinstance(error, Failure) else traceback.format_exc()
            print(f"FAIL {name}: {error}\n{kind}  work folder kept: {deployment.root}", flush=True)
            ARGS_keep, ARGS.keep = ARGS.keep, True
            deployment.cleanup()
            ARGS.keep = ARGS_keep
            continue
        deployment.cleanup()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
