#!/usr/bin/env python3
"""Builds a large Folio store quickly: FILES distinct files (one create commit each, 250 per project,
`p{i/250}/prd/f{i%250}.json`) and TRACKED revisions of bench/prd/tracked.json spread evenly through
the history -- the commits, messages, trailers and envelopes Folio's own saves make (see
Sources/FolioStore/CommitMessage.swift and Envelope.swift), in the layout `folio-bench fill` uses.

  history_repo.py build --folio BIN --dir D --files N --tracked R [--catalog direct|reindex] [--media]
      `folio init` creates D/folio.git and D/folio.sqlite; the commits go in with `git fast-import` (one
      pack). `--catalog reindex` then runs `folio reindex`, Folio's own ingest (as after a `git push`).
      `--catalog direct` writes the catalog rows that ingest would write (documents, revisions, the
      ingested tip) straight into the catalog Folio created -- for 100k commits, where ingest itself
      takes too long for the benchmark budget. `--media` also writes the local mirror's files.
  history_repo.py check --folio BIN --dir D [--files N --tracked R]
      builds the same small store both ways and compares the catalogs row by row (exit 1 on a difference).

Prints one JSON line with what it did and how long each step took.
"""
import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

BASE_TIME = 1_700_000_000
FILLER = "Planning notes for this feature. " * 4


def commits(files, tracked):
    """(key, project, name, action, author, time, envelope bytes) for each commit, oldest first."""
    total = files + tracked
    step = max(1, total // tracked) if tracked else None
    for index in range(total):
        writer = f"writer{index % 64}"
        if step and index % step == 0 and index // step < tracked:
            project, name = "bench", "tracked"
            action = "create" if index == 0 else "update"
            content, prd_id = f"# Tracked PRD\n\nrevision {index}\n{FILLER}\n", 7
        else:
            number = index - (min(tracked, index // step + 1) if step else 0)
            project, name, action = f"p{number // 250}", f"f{number % 250}", "create"
            content, prd_id = f"# {name}\n\ncommit {index}\n{FILLER}\n", index
        metadata = {"prd_id": prd_id, "updated_by": writer}
        envelope = json.dumps({"content": content, "metadata": metadata, "type": "prd"}, sort_keys=True, ensure_ascii=False).encode()
        yield f"{project}/prd/{name}.json", project, name, action, writer, BASE_TIME + index, envelope, metadata


def store_env(folder, mirror="none"):
    return dict(os.environ, FOLIO_REPO_PATH=os.path.join(folder, "folio.git"),
                FOLIO_DATABASE_URL="sqlite:" + os.path.join(folder, "folio.sqlite"),
                MEDIA_ROOT=os.path.join(folder, "media"), FILE_STORAGE_TYPE=mirror)


def build(folio, folder, files, tracked, catalog, media):
    timings = {}
    os.makedirs(folder, exist_ok=True)
    started = time.monotonic()
    subprocess.run([folio, "init"], env=store_env(folder), check=True, stdout=subprocess.DEVNULL)
    repo = os.path.join(folder, "folio.git")
    marks = os.path.join(folder, "marks.txt")
    rows = []
    importer = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet", "--done", f"--export-marks={marks}"],
                                stdin=subprocess.PIPE)
    out = importer.stdin
    for mark, (key, project, name, action, author, when, envelope, metadata) in enumerate(commits(files, tracked), start=1):
        verb = "Create" if action == "create" else "Update"
        message = f"{verb} prd {project}/{name}\n\nFolio-Key: {key}\nFolio-Action: {action}\n".encode()
        out.write(b"commit refs/heads/main\nmark :%d\n" % mark)
        out.write(f"author {author} <{author}@users.folio.invalid> {when} +0000\n".encode())
        out.write(f"committer Folio <folio@folio.invalid> {when} +0000\n".encode())
        out.write(b"data %d\n%s\n" % (len(message), message))
        out.write(f"M 100644 inline {key}\n".encode())
        out.write(b"data %d\n%s\n" % (len(envelope), envelope))
        if catalog == "direct" or media:
            blob = hashlib.sha1(b"blob %d\0" % len(envelope) + envelope).hexdigest()
            rows.append((mark, key, project, name, action, author, when, blob, len(envelope), metadata, envelope if media else None))
    out.write(b"done\n")
    out.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    timings["fast_import_s"] = time.monotonic() - started

    if catalog == "reindex":
        started = time.monotonic()
        subprocess.run([folio, "reindex", "--json"], env=store_env(folder), check=True, stdout=subprocess.DEVNULL)
        timings["reindex_s"] = time.monotonic() - started
    else:
        started = time.monotonic()
        ids = {}
        with open(marks) as handle:
            for line in handle:
                mark, sha = line.split()
                ids[int(mark[1:])] = sha
        connection = sqlite3.connect(os.path.join(folder, "folio.sqlite"))
        seq = {}
        with connection:
            for mark, key, project, name, action, author, when, blob, size, metadata, _ in rows:
                commit = ids[mark]
                seq[key] = seq.get(key, 0) + 1
                connection.execute(
                    "INSERT INTO revisions (file_key, seq, commit_id, blob_id, action, author, committed_at, message, size) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (key, seq[key], commit, blob, action, author, when, "", size))
                connection.execute(
                    "INSERT INTO documents (file_key, project_id, file_type, name, commit_id, blob_id, size, updated_by, updated_at, "
                    "deleted_at, legacy_content, metadata) VALUES (?, ?, 'prd', ?, ?, ?, ?, ?, ?, NULL, NULL, ?) "
                    "ON CONFLICT (file_key) DO UPDATE SET commit_id = excluded.commit_id, blob_id = excluded.blob_id, "
                    "size = excluded.size, updated_by = excluded.updated_by, updated_at = excluded.updated_at, "
                    "metadata = excluded.metadata",
                    (key, project, name, commit, blob, size, author, when, json.dumps(metadata, sort_keys=True, ensure_ascii=False)))
            tip = subprocess.run(["git", "-C", repo, "rev-parse", "refs/heads/main"], capture_output=True, text=True, check=True).stdout.strip()
            connection.execute("INSERT INTO catalog_state (name, value) VALUES ('ingested_tip', ?) "
                               "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (tip,))
        connection.close()
        timings["catalog_s"] = time.monotonic() - started
    if media:
        started = time.monotonic()
        latest = {}
        for row in rows:
            latest[row[1]] = row[10]
        for key, envelope in latest.items():
            path = os.path.join(folder, "media", "projects", key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(envelope)
        timings["media_s"] = time.monotonic() - started
    os.remove(marks)
    return timings


def dump(folder):
    connection = sqlite3.connect(f"file:{os.path.join(folder, 'folio.sqlite')}?mode=ro", uri=True)
    try:
        return {
            "documents": connection.execute("SELECT * FROM documents ORDER BY file_key").fetchall(),
            "revisions": connection.execute("SELECT * FROM revisions ORDER BY file_key, seq").fetchall(),
            "tip": connection.execute("SELECT value FROM catalog_state WHERE name = 'ingested_tip'").fetchall(),
        }
    finally:
        connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["build", "check"])
    parser.add_argument("--folio", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--tracked", type=int, default=20)
    parser.add_argument("--catalog", choices=["direct", "reindex"], default="direct")
    parser.add_argument("--media", action="store_true")
    args = parser.parse_args()
    if args.command == "build":
        timings = build(args.folio, args.dir, args.files, args.tracked, args.catalog, args.media)
        print(json.dumps({"files": args.files, "tracked": args.tracked, "commits": args.files + args.tracked, "catalog": args.catalog, **timings}))
        return
    direct, reindexed = os.path.join(args.dir, "direct"), os.path.join(args.dir, "reindex")
    for folder in (direct, reindexed):
        shutil.rmtree(folder, ignore_errors=True)
    t1 = build(args.folio, direct, args.files, args.tracked, "direct", False)
    t2 = build(args.folio, reindexed, args.files, args.tracked, "reindex", False)
    a, b = dump(direct), dump(reindexed)
    same = a == b
    differences = {name: (len(a[name]), len(b[name])) for name in a if a[name] != b[name]}
    print(json.dumps({"identical": same, "documents": len(a["documents"]), "revisions": len(a["revisions"]),
                      "differences": differences, "direct": t1, "reindex": t2}))
    if not same:
        for name in differences:
            for left, right in zip(a[name], b[name]):
                if left != right:
                    print(f"first difference in {name}:\n  direct  {left}\n  reindex {right}", file=sys.stderr)
                    break
        sys.exit(1)


if __name__ == "__main__":
    main()
