#!/usr/bin/env python3
"""The git front door and batch operations, timed over loopback against a live `folio serve`.

Starts `folio serve` (default .build/release/folio) on a fresh data folder, seeds `--docs` PRDs in one
project through batch saves, then times, `--runs` times each and alternating the pairs so that the
machine's drift hits both sides alike:

  batch-50      one POST /batch/ of 50 files (one commit)       beside 50 single POSTs (50 commits)
  clone         git clone over HTTP through folio serve          beside git clone of the same repo by path
  push          a 10-file commit pushed over HTTP (both hooks)    beside the same push by path (both hooks)
  land          the same commit pushed to refs/for/main (landed)  (no counterpart)
  export        GET /export/ (tar.gz) of the whole project        beside git archive --format=tar.gz

Prints one Markdown table: median and slowest of each, and the ratio of the medians.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request


def start(folio, data):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8",
           "FOLIO_REPO_PATH": data + "/folio.git", "FOLIO_DATABASE_URL": "sqlite:" + data + "/folio.sqlite", "MEDIA_ROOT": data + "/media",
           "FOLIO_LOG_LEVEL": "warning"}
    proc = subprocess.Popen([folio, "serve", "--host", "127.0.0.1", "--port", "0"], env=env, stdout=subprocess.PIPE,
                            stderr=open(data + "/stderr", "wb"), text=True)
    match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", proc.stdout.readline())
    if not match:
        raise RuntimeError("folio serve did not start: " + open(data + "/stderr").read()[-2000:])
    return proc, int(match.group(1)), env


def post(port, path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


def timed(fn):
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def git(*args, cwd=None, env=None):
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def document(i, run, size):
    line = f"Requirement {i} of run {run}: the checkout keeps the basket when the session expires.\n"
    return line * max(1, size // len(line))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folio", default=".build/release/folio")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--size", type=int, default=2000, help="bytes of content per document")
    args = parser.parse_args()
    folio = os.path.abspath(args.folio)
    root = tempfile.mkdtemp(prefix="folio-git-bench-")
    data = root + "/data"
    os.makedirs(data)
    proc, port, env = start(folio, data)
    git_env = dict(os.environ, GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="b@x")
    results = {}
    try:
        for start_at in range(0, args.docs, 50):
            files = [{"type": "prd", "name": f"doc_{i}", "content": document(i, 0, args.size)} for i in range(start_at, min(args.docs, start_at + 50))]
            post(port, "/api/projects/bench/batch/", {"updated_by": "seed", "files": files})
        url = f"http://127.0.0.1:{port}/git/folio.git"
        work = tempfile.mkdtemp(prefix="clone-", dir=root)
        git("clone", "-q", url, work + "/w", env=git_env)
        for run in range(1, args.runs + 1):
            files = [{"type": "prd", "name": f"b_{i}", "content": document(i, run, args.size)} for i in range(50)]
            results.setdefault("batch-50", []).append(timed(lambda: post(port, "/api/projects/bench/batch/", {"updated_by": "b", "files": files})))
            results.setdefault("batch-50 base", []).append(timed(lambda: [
                post(port, "/api/projects/bench/prd/", {"name": f"s_{i}", "content": document(i, run, args.size), "updated_by": "s"}) for i in range(50)]))
            for label, source in (("clone", url), ("clone base", data + "/folio.git")):
                target = f"{work}/{label.replace(' ', '_')}_{run}"
                results.setdefault(label, []).append(timed(lambda: git("clone", "-q", source, target, env=git_env)))
                shutil.rmtree(target)
            for label, remote, ref in (("push", url, "main"), ("push base", data + "/folio.git", "main"), ("land", url, "refs/for/main")):
                git("pull", "-q", "--rebase", url, "main", cwd=work + "/w", env=git_env)
                for i in range(10):
                    with open(f"{work}/w/bench/prd/doc_{i}.json", "w") as handle:
                        json.dump({"content": document(i, run, args.size) + f"{label}\n", "metadata": {}, "type": "prd"}, handle)
                git("commit", "-qam", f"{label} {run}", cwd=work + "/w", env=git_env)
                results.setdefault(label, []).append(timed(lambda: git("push", "-q", remote, f"HEAD:{ref}", cwd=work + "/w", env=git_env)))
                if ref != "main":
                    git("fetch", "-q", url, "main", cwd=work + "/w", env=git_env)
                    git("reset", "-q", "--keep", "FETCH_HEAD", cwd=work + "/w")
            results.setdefault("export", []).append(timed(lambda: urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/projects/bench/export/", timeout=300).read()))
            results.setdefault("export base", []).append(timed(lambda: subprocess.run(
                ["git", "--git-dir", data + "/folio.git", "archive", "--format=tar.gz", "main", "bench/"], check=True, capture_output=True)))
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        shutil.rmtree(root, ignore_errors=True)
    print(f"| operation ({args.docs} documents of {args.size} bytes; {args.runs} runs) | median | slowest | beside | its median | ratio |")
    print("|---|---|---|---|---|---|")
    for name in ("batch-50", "clone", "push", "land", "export"):
        times = results[name]
        base = results.get(name + " base")
        row = f"| {name} | {statistics.median(times) * 1000:.0f} ms | {max(times) * 1000:.0f} ms |"
        if base:
            label = {"batch-50": "50 single saves", "clone": "git clone by path", "push": "push by path",
                     "export": "git archive tar.gz"}[name]
            row += f" {label} | {statistics.median(base) * 1000:.0f} ms | {statistics.median(times) / statistics.median(base):.2f}× |"
        else:
            row += " — | — | — |"
        print(row)


if __name__ == "__main__":
    main()
