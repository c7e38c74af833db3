#!/usr/bin/env python3
"""Server-side time of the web UI's pages on large inputs, over loopback.

Starts `folio serve` (default .build/release/folio) on a fresh data folder and seeds, through the API:
  big       a 5 MB Markdown document (two versions, a few hundred lines apart)
  wide      a 10,000-line document whose every line changes in the second version (a 10,000-line diff)
  long      a 100-line document with 10,000 revisions, each changing one line; its first line never
            changes, so blaming it walks all 10,000 revisions
then times each page (the full response, read to the end) `--runs` times and prints the median and the
slowest, with the response size, as a Markdown table. Each request is one GET; nothing runs in parallel.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def start(folio, data):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8",
           "FOLIO_REPO_PATH": data + "/folio.git", "FOLIO_DATABASE_URL": "sqlite:" + data + "/folio.sqlite", "MEDIA_ROOT": data + "/media",
           "FOLIO_LOG_LEVEL": "warning"}
    out = open(data + "/stdout", "wb")
    proc = subprocess.Popen([folio, "serve", "--host", "127.0.0.1", "--port", "0"], env=env, stdout=out, stderr=open(data + "/stderr", "wb"),
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        match = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", open(data + "/stdout", "rb").read())
        if match:
            return proc, int(match.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("folio serve did not start: " + open(data + "/stderr").read()[-2000:])


class Client:
    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method, path, body=None):
        self.connection.request(method, path, body=None if body is None else json.dumps(body),
                                headers={"Content-Type": "application/json"} if body is not None else {})
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return data

    def save(self, name, content, who):
        return json.loads(self.request("POST", "/api/projects/bench/prd/", {"name": name, "content": content, "updated_by": who}))["commit"]


def big_document(target_bytes):
    parts, size, section = [], 0, 0
    while size < target_bytes:
        section += 1
        block = (f"## Section {section}\n\nThe checkout flow in region {section} needs **faster** payment and a clearer cart summary; "
                 f"see [the spec](https://example.com/spec/{section}).\n\n- [x] measure step {section}\n- [ ] fix step {section}\n"
                 f"- follow-up for `cart-{section}`\n\n| metric | before | after |\n|---|---|---|\n| p50 | {section % 97} ms | {section % 89} ms |\n\n"
                 f"```\nretry(payment_{section}, attempts: 3)\n```\n\n")
        parts.append(block)
        size += len(block)
    return "".join(parts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--folio", default=".build/release/folio")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--revisions", type=int, default=10_000)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="folio-ui-bench.")
    proc, port = start(os.path.abspath(args.folio), work)
    try:
        client = Client(port)
        started = time.monotonic()
        big1 = big_document(5 * 1024 * 1024)
        lines = big1.split("\n")
        for index in range(0, len(lines), 400):
            lines[index] = lines[index] + " (revised)"
        big_from = client.save("big", big1, "alice")
        big_to = client.save("big", "\n".join(lines), "bob")
        wide_from = client.save("wide", "".join(f"line {n} of the wide document says alpha\n" for n in range(10_000)), "alice")
        wide_to = client.save("wide", "".join(f"line {n} of the wide document says beta\n" for n in range(10_000)), "bob")
        body = ["the first line never changes"] + [f"line {n}: version 0" for n in range(1, 100)]
        long_first = client.save("long", "\n".join(body) + "\n", "author0")
        for revision in range(1, args.revisions):
            line = 1 + revision % 99
            body[line] = f"line {line}: version {revision}"
            client.save("long", "\n".join(body) + "\n", f"author{revision % 7}")
        seeded = time.monotonic() - started
        history = json.loads(client.request("GET", f"/api/projects/bench/prd/history/?name=long&limit={min(1000, args.revisions // 2)}"))
        middle = history["next_cursor"]

        pages = [
            ("5 MB document: file page (Markdown rendered)", "/ui/projects/bench/prd/big"),
            ("5 MB document: compare two versions (folded)", f"/ui/projects/bench/prd/big/compare?from={big_from}&to={big_to}"),
            ("5 MB document: blame (first 2,000 lines)", "/ui/projects/bench/prd/big/blame"),
            ("10,000-line diff: compare, side by side (first 1,500 rows)", f"/ui/projects/bench/prd/wide/compare?from={wide_from}&to={wide_to}"),
            ("10,000-line diff: compare, inline (first 1,500 rows)", f"/ui/projects/bench/prd/wide/compare?from={wide_from}&to={wide_to}&view=inline"),
            ("10,000-line diff: compare, last page", f"/ui/projects/bench/prd/wide/compare?from={wide_from}&to={wide_to}&skip=18500"),
            (f"{args.revisions:,} revisions: file page (newest 50)", "/ui/projects/bench/prd/long"),
            (f"{args.revisions:,} revisions: file page, history from revision {middle}", f"/ui/projects/bench/prd/long?cursor={middle}"),
            (f"{args.revisions:,} revisions: compare first with current", f"/ui/projects/bench/prd/long/compare?from={long_first}"),
            (f"{args.revisions:,} revisions: blame page (walks every revision)", "/ui/projects/bench/prd/long/blame"),
            (f"{args.revisions:,} revisions: blame API", "/api/projects/bench/prd/blame/?name=long"),
        ]
        print(f"Seeded in {seeded:.1f} s. Each page fetched {args.runs} times after one warm-up fetch; times are the whole response over loopback.\n")
        print("| page | median | slowest | response |")
        print("|---|---|---|---|")
        for label, path in pages:
            client.request("GET", path)
            times, size = [], 0
            for _ in range(args.runs):
                begin = time.perf_counter()
                size = len(client.request("GET", path))
                times.append(time.perf_counter() - begin)
            print(f"| {label} | {statistics.median(times) * 1000:.0f} ms | {max(times) * 1000:.0f} ms | {size / 1024:.0f} KB |", flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
