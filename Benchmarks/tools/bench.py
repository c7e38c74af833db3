#!/usr/bin/env python3
"""Runs Folio's benchmarks end to end and writes BENCHMARKS.md (Benchmarks/run-all.sh calls this).

Everything listens on 127.0.0.1 only; every load loop is bounded in time (wrk -d, boto3 --seconds) or
count (hyperfine --runs). Each `folio serve` gets a fresh data folder under the work folder and a free
port; SeaweedFS is started through scripts/seaweedfs.sh with its own FOLIO_TEST_STATE_DIR. Whatever was
started is stopped on exit, also on an error or Ctrl-C.
"""
import argparse
import glob
import json
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request

# BENCHMARKS.md is rendered by report.py (write_report); --report-only re-renders a kept run through it.
from report import TRACKED_KEY, machine, median, write_report

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WRK_DIR = os.path.join(ROOT, "Benchmarks", "wrk")
TOOLS = os.path.join(ROOT, "Benchmarks", "tools")

live_servers = []
seaweed_state = None


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


class Context:
    def __init__(self, args):
        self.quick = args.quick
        self.bin = os.path.abspath(args.bin)
        self.folio = os.path.join(self.bin, "folio")
        # An earlier release build of folio, measured beside this one where a section says so.
        self.baseline = os.path.join(os.path.abspath(args.baseline_bin), "folio") if args.baseline_bin else None
        self.baseline_commit = args.baseline_commit
        self.bench = os.path.join(self.bin, "folio-bench")
        self.work = os.path.abspath(args.work or f"/tmp/folio-bench-{time.strftime('%Y%m%d-%H%M%S')}")
        os.makedirs(os.path.join(self.work, "logs"), exist_ok=True)
        self.results = os.path.join(self.work, "results.jsonl")
        self.runs = 1 if args.quick else 3
        self.seconds = 3 if args.quick else 8
        self.size_seconds = 3 if args.quick else 5
        self.history_files = 10_000 if args.quick else 100_000
        self.history_tracked = 100 if args.quick else 1000
        self.mirror_files = 1000 if args.quick else 10_000
        self.commands = {}  # section -> [command lines, as run]
        self.data = {}
        self.timings = {}
        self.dir_counter = 0

    def fresh_dir(self, label):
        self.dir_counter += 1
        path = os.path.join(self.work, f"{label}-{self.dir_counter}")
        os.makedirs(path)
        return path

    def note(self, section, command):
        """Keeps the first command of each shape (ports and folders vary) for the report."""
        line = command if isinstance(command, str) else " ".join(shlex.quote(part) for part in command)
        line = line.replace(self.work, "$WORK").replace(self.bin, "$BIN").replace(ROOT + "/", "").replace(sys.executable, "python3")
        shape = re.sub(r"\d+", "N", line)
        seen = self.commands.setdefault(section, [])
        if all(re.sub(r"\d+", "N", existing) != shape for existing in seen):
            seen.append(line)

    def record(self, **fields):
        with open(self.results, "a") as handle:
            handle.write(json.dumps(fields, sort_keys=True) + "\n")


def store_env(data):
    return {
        "FOLIO_REPO_PATH": os.path.join(data, "folio.git"),
        "FOLIO_DATABASE_URL": "sqlite:" + os.path.join(data, "folio.sqlite"),
        "MEDIA_ROOT": os.path.join(data, "media"),
    }


class Server:
    """`folio serve` on a free loopback port over the store in `data`."""

    def __init__(self, ctx, data, label, extra_env=None, binary=None):
        self.ctx, self.data, self.label = ctx, data, label
        env = dict(os.environ)
        env.update(store_env(data))
        env.update({"FOLIO_HOST": "127.0.0.1", "FOLIO_PORT": "0"})
        env.update(extra_env or {})
        self.log_path = os.path.join(ctx.work, "logs", f"serve-{label}.log")
        self.log = open(self.log_path, "w")
        command = [binary or ctx.folio, "serve", "--port", "0"]
        shown = " ".join(f"{k}={v}" for k, v in (extra_env or {}).items() if not k.startswith("AWS_SECRET"))
        where = "$BASELINE_BIN" if binary and binary != ctx.folio else "$BIN"
        ctx.note(label.split("-")[0], (shown + " " if shown else "") + f"{where}/folio serve --port 0  # FOLIO_REPO_PATH etc. under a fresh $WORK folder")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.log, env=env, cwd=data, text=True)
        live_servers.append(self)
        line = self._first_line(timeout=600)
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line or "")
        if not match:
            self.stop()
            raise RuntimeError(f"folio serve did not start ({label}); see {self.log_path}: {line!r}")
        self.port = int(match.group(1))
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._drain_stdout, daemon=True).start()
        self.startup_seconds = time.monotonic() - self.started

    def _first_line(self, timeout):
        result = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        return result[0] if result else None

    def _drain_stdout(self):
        for _ in self.proc.stdout:
            pass

    def memory(self):
        """VmHWM and VmRSS in KiB."""
        fields = {}
        with open(f"/proc/{self.proc.pid}/status") as handle:
            for line in handle:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    name, value = line.split(":", 1)
                    fields[name] = int(value.split()[0])
        return fields

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=180)
            except subprocess.TimeoutExpired:
                log(f"folio serve ({self.label}) did not stop within 180 s of SIGTERM; killing it")
                self.proc.kill()
                self.proc.wait()
        if self in live_servers:
            live_servers.remove(self)
        self.log.close()
        return self.proc.returncode

    def log_problems(self):
        """Counts of error/critical log lines and of crash markers in the server log."""
        with open(self.log_path, errors="replace") as handle:
            text = handle.read()
        return {
            "error_level_lines": len(re.findall(r"^\S+ (error|critical) ", text, flags=re.MULTILINE)),
            "fatal": "Fatal error" in text or "Crash" in text,
        }


def commits(data):
    result = subprocess.run(["git", "-C", os.path.join(data, "folio.git"), "rev-list", "--count", "main"],
                            capture_output=True, text=True)
    return int(result.stdout.strip()) if result.returncode == 0 else 0


def wrk(ctx, section, url, script, conns, seconds, script_args=(), timeout="30s", label=""):
    threads = 1 if conns == 1 else 2
    command = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", timeout, "--latency",
               "-s", os.path.join(WRK_DIR, script), url]
    if script_args:
        command += ["--"] + [str(a) for a in script_args]
    ctx.note(section, command)
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 300)
    with open(os.path.join(ctx.work, "logs", "wrk.log"), "a") as handle:
        handle.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    match = re.search(r"^WRKJSON (.*)$", result.stdout, flags=re.MULTILINE)
    if result.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({label}): {result.stderr or result.stdout}")
    data = json.loads(match.group(1))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["ok"] = data["requests"] - data["status"]
    data["ok_rps"] = data["ok"] / (data["duration_us"] / 1e6)
    data["p50_ms"] = data["p50_us"] / 1000
    data["p99_ms"] = data["p99_us"] / 1000
    data["conns"] = conns
    return data


def http_json(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, json.loads(response.read() or b"null")


def run_bench(ctx, section, arguments, env=None, timeout=3600):
    command = [ctx.bench] + arguments
    ctx.note(section, command)
    full_env = dict(os.environ)
    full_env["FOLIO_BENCH_DIR"] = ctx.work
    full_env.update(env or {})
    result = subprocess.run(command, capture_output=True, text=True, env=full_env, timeout=timeout)
    with open(os.path.join(ctx.work, "logs", "folio-bench.log"), "a") as handle:
        handle.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise RuntimeError(f"folio-bench {' '.join(arguments)} failed: {result.stderr[-2000:]}")
    return result.stdout


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def hyperfine(ctx, section, commands, runs, warmup=0, env=None, shell=True):
    """Runs hyperfine over {name: command}; returns {name: {median_s, mean_s, min_s, max_s, runs}}."""
    out = os.path.join(ctx.work, f"hyperfine-{len(os.listdir(ctx.work))}.json")
    command = ["hyperfine", "--runs", str(runs), "--warmup", str(warmup), "--export-json", out, "--style", "basic"]
    if not shell:
        command.append("-N")
    for name, line in commands.items():
        command += ["-n", name, line]
        ctx.note(section, f"hyperfine --runs {runs} --warmup {warmup}{'' if shell else ' -N'} {shlex.quote(line)}")
    full_env = dict(os.environ)
    full_env.update(env or {})
    result = subprocess.run(command, capture_output=True, text=True, env=full_env, timeout=3600)
    with open(os.path.join(ctx.work, "logs", "hyperfine.log"), "a") as handle:
        handle.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise RuntimeError(f"hyperfine failed: {result.stderr[-2000:]}")
    with open(out) as handle:
        data = json.load(handle)
    return {r["command"]: {"median_s": r["median"], "mean_s": r["mean"], "min_s": r["min"], "max_s": r["max"],
                           "runs": len(r["times"])} for r in data["results"]}


# ---------------------------------------------------------------------------------------------------
# 1. HTTP: GET and POST throughput and latency, group commit beside naive mode.

SEED_CONTENT = "# Checkout v2\n\n" + ("Goals: let planners compare revisions of a PRD quickly and restore old ones. " * 12)


def section_http(ctx):
    out = ctx.data.setdefault("http", {"get": [], "post": []})
    data = ctx.fresh_dir("http-get")
    server = Server(ctx, data, "http-get")
    status, _ = http_json("POST", server.base + "/api/projects/bench/prd/",
                          {"name": "main_prd", "content": SEED_CONTENT, "metadata": {"prd_id": 1}, "updated_by": "john_doe"})
    assert status == 201, status
    url = server.base + "/api/projects/bench/prd/?name=main_prd"
    for conns in (1, 8, 64):
        for run in range(ctx.runs):
            result = wrk(ctx, "http", url, "get.lua", conns, ctx.seconds, label=f"GET c{conns}")
            result.update(run=run, **server.memory())
            out["get"].append(result)
            ctx.record(section="http-get", **result)
            log(f"GET c={conns} run {run + 1}: {result['rps']:.0f} req/s p50 {result['p50_ms']:.2f} ms p99 {result['p99_ms']:.2f} ms, non-2xx {result['status']}")
    out["get_server"] = server.log_problems()
    server.stop()
    shutil.rmtree(data, ignore_errors=True)

    if not ctx.quick:
        # The same GET at 64 connections with request logging off (the server logs every request at info).
        data = ctx.fresh_dir("http-get-quiet")
        server = Server(ctx, data, "http-getquiet", {"FOLIO_LOG_LEVEL": "warning"})
        http_json("POST", server.base + "/api/projects/bench/prd/",
                  {"name": "main_prd", "content": SEED_CONTENT, "metadata": {"prd_id": 1}, "updated_by": "john_doe"})
        out["get_quiet"] = []
        for run in range(ctx.runs):
            result = wrk(ctx, "http", server.base + "/api/projects/bench/prd/?name=main_prd", "get.lua", 64, ctx.seconds)
            out["get_quiet"].append(result)
            log(f"GET c=64 (log level warning) run {run + 1}: {result['rps']:.0f} req/s")
        server.stop()
        shutil.rmtree(data, ignore_errors=True)

    modes = {"group": {}, "naive": {"FOLIO_MAX_BATCH": "1", "FOLIO_PACKED_WRITES": "0"}}
    for conns in (1, 8, 64, 256):
        for run in range(ctx.runs):
            for mode, env in modes.items():
                result = post_run(ctx, "http", f"http-post-{mode}-c{conns}", conns, env)
                result.update(run=run, mode=mode)
                out["post"].append(result)
                ctx.record(section="http-post", **result)


def post_run(ctx, section, label, conns, env, settle=None, binary=None):
    """One wrk POST run on a fresh store; checks the commits on the branch against the 2xx answers."""
    data = ctx.fresh_dir(label)
    server = Server(ctx, data, label, env, binary)
    before = commits(data)
    nonce = f"{label}-{int(time.time() * 1000)}"
    result = wrk(ctx, section, server.base + "/api/projects/bench/prd/", "post.lua", conns, ctx.seconds,
                 [nonce, 1024, 1000], label=label)
    if settle:
        result.update(settle(server, data))
    result.update(server.memory())
    result["server"] = server.log_problems()
    code = server.stop()
    result["exit_code"] = code
    result["commits"] = commits(data) - before
    result["commits_minus_ok"] = result["commits"] - result["ok"]
    # Requests still in flight when wrk stops are answered to no one but committed: up to one per connection.
    result["lost"] = max(0, -result["commits_minus_ok"])
    result["unexpected_extra"] = max(0, result["commits_minus_ok"] - conns - result["timeout"])
    log(f"POST {label}: {result['ok_rps']:.0f} saves/s p50 {result['p50_ms']:.1f} ms p99 {result['p99_ms']:.1f} ms; "
        f"2xx {result['ok']}, commits {result['commits']}, non-2xx {result['status']}, timeouts {result['timeout']}, "
        f"VmHWM {result.get('VmHWM', 0) / 1024:.0f} MiB")
    if not settle:
        shutil.rmtree(data, ignore_errors=True)
    else:
        result["data"] = data
    return result


def section_pipeline(ctx):
    """POST at 64 clients: naive mode, group commit of the baseline build, group commit of this build —
    alternating within each round, so the three share the machine's state of the moment."""
    out = ctx.data.setdefault("pipeline", {"rows": [], "baseline_commit": ctx.baseline_commit})
    modes = [("naive", {"FOLIO_MAX_BATCH": "1", "FOLIO_PACKED_WRITES": "0"}, ctx.folio)]
    if ctx.baseline:
        modes.append(("group, baseline", {}, ctx.baseline))
    modes.append(("group", {}, ctx.folio))
    for run in range(ctx.runs):
        for mode, env, binary in modes:
            label = "pipeline-" + mode.replace(", ", "-")
            result = post_run(ctx, "pipeline", label, 64, env, binary=binary)
            result.update(run=run, mode=mode)
            out["rows"].append(result)
            ctx.record(section="pipeline", **result)


# ---------------------------------------------------------------------------------------------------
# Catalog rebuild: `folio reindex` beside `git log --name-status` over the same commits.

def section_reindex(ctx):
    out = ctx.data.setdefault("reindex", {"rows": [], "baseline_commit": ctx.baseline_commit})
    for files in ((2_000, 10_000) if ctx.quick else (10_000, 100_000)):
        data = ctx.fresh_dir(f"reindex-{files}")
        started = time.monotonic()
        run_bench(ctx, "reindex", ["fill", "--dir", data, "--files", str(files), "--writers", "64", "--mirror", "none"])
        fill_s = time.monotonic() - started
        repo = os.path.join(data, "folio.git")
        env = dict(store_env(data), FILE_STORAGE_TYPE="none", FOLIO_LOG_LEVEL="warning")
        for layout in ("as filled", "after folio gc"):
            if layout == "after folio gc":
                command = [ctx.folio, "gc"]
                ctx.note("reindex", "$BIN/folio gc")
                subprocess.run(command, check=True, capture_output=True, env=dict(os.environ, **env), timeout=3600)
            packs = len(glob.glob(os.path.join(repo, "objects", "pack", "*.pack")))
            commands = {"folio reindex": f"{ctx.folio} reindex"}
            if ctx.baseline:
                commands["folio reindex (baseline)"] = f"{ctx.baseline} reindex"
            commands["git log --name-status"] = f"git -C {repo} log --name-status --format=%H main"
            timed = hyperfine(ctx, "reindex", commands, ctx.runs, warmup=1, env=env, shell=False)
            row = {"commits": commits(data), "layout": layout, "packs": packs, "fill_s": fill_s,
                   "times": {name: value["median_s"] for name, value in timed.items()}}
            out["rows"].append(row)
            ctx.record(section="reindex", **row)
            log(f"reindex {row['commits']} commits, {layout} ({packs} packs): " +
                ", ".join(f"{name} {seconds:.2f} s" for name, seconds in row["times"].items()))
        shutil.rmtree(data, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# 2. In-process durable saves (folio-bench saves).

def section_core(ctx):
    jsonl = os.path.join(ctx.work, "core.jsonl")
    arguments = ["saves", "--json", jsonl] + (["--quick"] if ctx.quick else [])
    markdown = run_bench(ctx, "core", arguments)
    ctx.data["core"] = {"markdown": markdown.strip(), "rows": read_jsonl(jsonl)}
    # Save throughput as the repository grows (one pack per group commit accumulates).
    fill = os.path.join(ctx.work, "growth.jsonl")
    data = ctx.fresh_dir("growth")
    files = 3000 if ctx.quick else 10_000
    run_bench(ctx, "core", ["fill", "--dir", data, "--files", str(files), "--writers", "64", "--mirror", "none",
                            "--segment", str(files // 10), "--json", fill])
    ctx.data["core"]["growth"] = read_jsonl(fill)[-1]
    shutil.rmtree(data, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# 3. Object store: plain boto3 PUTs beside Folio with the S3 mirror; mirror sync of 10k files.

def start_seaweed(ctx):
    global seaweed_state
    state = os.path.join(ctx.work, "s3state")
    env = dict(os.environ, FOLIO_TEST_STATE_DIR=state)
    ctx.note("s3", "FOLIO_TEST_STATE_DIR=$WORK/s3state scripts/seaweedfs.sh start")
    seaweed_state = state
    subprocess.run([os.path.join(ROOT, "scripts", "seaweedfs.sh"), "start"], env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=600)
    values = {}
    with open(os.path.join(state, "s3.env")) as handle:
        for line in handle:
            match = re.match(r"export (\w+)=(.*)", line.strip())
            if match:
                values[match.group(1)] = match.group(2)
    return values


def stop_seaweed():
    global seaweed_state
    if seaweed_state:
        subprocess.run([os.path.join(ROOT, "scripts", "seaweedfs.sh"), "stop"],
                       env=dict(os.environ, FOLIO_TEST_STATE_DIR=seaweed_state), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
        seaweed_state = None


def folio_s3_env(s3, prefix):
    return {
        "FILE_STORAGE_TYPE": "s3",
        "AWS_STORAGE_BUCKET_NAME": s3["FOLIO_TEST_S3_BUCKET"],
        "AWS_ACCESS_KEY_ID": s3["FOLIO_TEST_S3_ACCESS_KEY"],
        "AWS_SECRET_ACCESS_KEY": s3["FOLIO_TEST_S3_SECRET_KEY"],
        "AWS_S3_REGION_NAME": s3["FOLIO_TEST_S3_REGION"],
        "AWS_S3_ENDPOINT_URL": s3["FOLIO_TEST_S3_ENDPOINT"],
        "AWS_S3_PROJECT_PREFIX": prefix,
    }


def outbox_count(data):
    try:
        connection = sqlite3.connect(f"file:{os.path.join(data, 'folio.sqlite')}?mode=ro", uri=True, timeout=10)
        try:
            return connection.execute("SELECT count(*) FROM mirror_outbox").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error:
        return None


def count_objects(s3, prefix):
    import boto3
    from botocore.config import Config
    client = boto3.session.Session().client(
        "s3", endpoint_url=s3["FOLIO_TEST_S3_ENDPOINT"], aws_access_key_id=s3["FOLIO_TEST_S3_ACCESS_KEY"],
        aws_secret_access_key=s3["FOLIO_TEST_S3_SECRET_KEY"], region_name=s3["FOLIO_TEST_S3_REGION"],
        config=Config(s3={"addressing_style": "path"}))
    total = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=s3["FOLIO_TEST_S3_BUCKET"], Prefix=prefix + "/"):
        total += page.get("KeyCount", 0)
    return total


def section_s3(ctx):
    out = ctx.data.setdefault("s3", {"boto3": [], "folio": []})
    s3 = start_seaweed(ctx)
    s3_env = dict(os.environ, **s3)
    for conns in (1, 8, 64):
        for run in range(ctx.runs):
            prefix = f"raw-c{conns}-r{run}"
            command = [sys.executable, os.path.join(TOOLS, "s3put.py"), "puts", "--threads", str(conns),
                       "--seconds", str(ctx.seconds), "--prefix", prefix]
            ctx.note("s3", command)
            result = subprocess.run(command, capture_output=True, text=True, env=s3_env, timeout=ctx.seconds + 300)
            if result.returncode != 0:
                raise RuntimeError(f"s3put failed: {result.stderr[-2000:]}")
            row = json.loads(result.stdout.strip().splitlines()[-1])
            row.update(conns=conns, run=run)
            out["boto3"].append(row)
            ctx.record(section="s3-boto3", **row)
            log(f"boto3 PUT threads={conns} run {run + 1}: {row['puts_per_s']:.0f} puts/s p50 {row['p50_ms']:.1f} ms, errors {row['errors']}")

            folio_prefix = f"folio-c{conns}-r{run}"
            env = folio_s3_env(s3, folio_prefix)

            def settle(server, data):
                # The mirror publishes each file's latest commit after the commit; wait for the outbox to empty.
                started = time.monotonic()
                while time.monotonic() - started < 300:
                    pending = outbox_count(data)
                    if pending == 0:
                        break
                    time.sleep(0.1)
                return {"drain_s": time.monotonic() - started, "pending_after": outbox_count(data)}

            row = post_run(ctx, "s3", f"s3-post-c{conns}", conns, env, settle=settle)
            data = row.pop("data")
            # Verify: every live file's object carries its current commit (HEAD per file, nothing repaired).
            verify_env = dict(os.environ, **store_env(data), **env)
            command = [ctx.folio, "mirror", "verify", "--dry-run", "--json"]
            ctx.note("s3", "FILE_STORAGE_TYPE=s3 AWS_...=... $BIN/folio mirror verify --dry-run --json  # same store")
            verify = subprocess.run(command, capture_output=True, text=True, env=verify_env, timeout=600)
            try:
                row["verify"] = json.loads(verify.stdout)
            except json.JSONDecodeError:
                row["verify"] = {"error": verify.stderr.strip()[-300:]}
            row.update(run=run)
            out["folio"].append(row)
            ctx.record(section="s3-folio", **row)
            log(f"  mirror drained {row['drain_s']:.1f} s after the load; verify {row['verify']}")
            shutil.rmtree(data, ignore_errors=True)

    # 10k files: `folio mirror sync` beside the AWS CLI and boto3 uploading the same envelopes.
    data = ctx.fresh_dir("mirror10k")
    started = time.monotonic()
    run_bench(ctx, "s3", ["fill", "--dir", data, "--files", str(ctx.mirror_files), "--writers", "64", "--mirror", "local"])
    out["build"] = {"fill_s": time.monotonic() - started}
    media = os.path.join(data, "media", "projects")
    files = sum(len(names) for _, _, names in os.walk(media))
    out["mirror_files"] = files
    bucket = s3["FOLIO_TEST_S3_BUCKET"]
    sync_env = dict(os.environ, **store_env(data), **folio_s3_env(s3, "sync-folio"))
    aws_env = dict(os.environ, **s3, AWS_ACCESS_KEY_ID=s3["FOLIO_TEST_S3_ACCESS_KEY"],
                   AWS_SECRET_ACCESS_KEY=s3["FOLIO_TEST_S3_SECRET_KEY"], AWS_DEFAULT_REGION=s3["FOLIO_TEST_S3_REGION"],
                   AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true")
    endpoint = s3["FOLIO_TEST_S3_ENDPOINT"]
    runs = ctx.runs
    commands = {
        "folio mirror sync": f"{ctx.folio} mirror sync",
        "aws s3 cp --recursive": f"aws --endpoint-url {endpoint} s3 cp --recursive --quiet {media} s3://{bucket}/awscp/",
        "aws s3 sync (new prefix each run)": f"aws --endpoint-url {endpoint} s3 sync --quiet {media} s3://{bucket}/awssync-$(date +%s%N)/",
        "boto3, 8 threads": f"{sys.executable} {os.path.join(TOOLS, 's3put.py')} upload-dir --threads 8 --dir {media} --prefix boto3-8",
        "boto3, 64 threads": f"{sys.executable} {os.path.join(TOOLS, 's3put.py')} upload-dir --threads 64 --dir {media} --prefix boto3-64",
    }
    # One hyperfine per command so each gets the environment it needs; they run back to back in this run.
    results = {}
    results.update(hyperfine(ctx, "s3", {"folio mirror sync": commands["folio mirror sync"]}, runs, env=sync_env))
    for name in list(commands)[1:]:
        results.update(hyperfine(ctx, "s3", {name: commands[name]}, runs, env=aws_env))
    out["sync"] = results
    out["sync_objects"] = {"folio mirror sync": count_objects(s3, "sync-folio"), "aws s3 cp --recursive": count_objects(s3, "awscp"),
                           "boto3, 8 threads": count_objects(s3, "boto3-8"), "boto3, 64 threads": count_objects(s3, "boto3-64")}
    for name, value in results.items():
        log(f"{name}: {value['median_s']:.2f} s for {files} files ({files / value['median_s']:.0f} puts/s)")
    shutil.rmtree(data, ignore_errors=True)
    stop_seaweed()


# ---------------------------------------------------------------------------------------------------
# 4 and 6. History in a repository of ~100k commits (Folio beside git log), and memory with 100k files.

def section_history(ctx):
    out = ctx.data.setdefault("history", {})
    # Built through Folio's own durable save path (group commits from 64 writers), so git, the catalog and
    # the mirror hold exactly what saves make.
    data = ctx.fresh_dir("history")
    started = time.monotonic()
    run_bench(ctx, "history", ["fill", "--dir", data, "--files", str(ctx.history_files), "--tracked-revisions",
                               str(ctx.history_tracked), "--writers", "64", "--mirror", "local"])
    out["build_wall_s"] = time.monotonic() - started
    out["build"] = {"files": ctx.history_files, "tracked": ctx.history_tracked, "fill_s": out["build_wall_s"]}
    repo = os.path.join(data, "folio.git")
    out["commits"] = commits(data)
    out["packs"] = len(glob.glob(os.path.join(repo, "objects", "pack", "*.pack")))
    out["repo_mib"] = sum(os.path.getsize(p) for p in glob.glob(os.path.join(repo, "objects", "**", "*"), recursive=True)
                          if os.path.isfile(p)) / 2**20
    log(f"history repo: {out['commits']} commits, {out['packs']} packs, {out['repo_mib']:.0f} MiB; built in {out['build_wall_s']:.0f} s")

    # In-process catalog history.
    hjsonl = os.path.join(ctx.work, "history.jsonl")
    out["inprocess_markdown"] = run_bench(ctx, "history", ["history", "--dir", data, "--json", hjsonl] + (["--quick"] if ctx.quick else [])).strip()
    out["inprocess"] = {row["op"]: row for row in read_jsonl(hjsonl)}

    # The server over the same store: history route, then GETs across the files (memory).
    server = Server(ctx, data, "history-serve")
    out["rss_after_start"] = server.memory()
    out["startup_s"] = server.startup_seconds
    base = server.base + "/api/projects/bench/prd/history/?name=tracked"
    _, page = http_json("GET", base + "&limit=1000")
    out["http_revisions"] = len(page.get("revisions", [])) if isinstance(page, dict) else None
    out["http"] = {"first50": [], "full": []}
    for run in range(ctx.runs):
        out["http"]["first50"].append(wrk(ctx, "history", base + "&limit=50", "get.lua", 1, ctx.seconds))
        out["http"]["full"].append(wrk(ctx, "history", base + "&limit=1000", "get.lua", 1, ctx.seconds))
    out["rss_after_history"] = server.memory()
    out["get_many"] = []
    for run in range(ctx.runs):
        result = wrk(ctx, "memory", server.base + "/", "get-many.lua", 64, ctx.seconds * 2, [ctx.history_files])
        result.update(server.memory())
        out["get_many"].append(result)
        log(f"GET across {ctx.history_files} files c=64 run {run + 1}: {result['rps']:.0f} req/s, non-2xx {result['status']}, "
            f"VmRSS {result['VmRSS'] / 1024:.0f} MiB VmHWM {result['VmHWM'] / 1024:.0f} MiB")
    out["memory_final"] = server.memory()
    out["server"] = server.log_problems()
    server.stop()

    # git log over the same repository, without and with the commit-graph's changed-path Bloom filters.
    key = TRACKED_KEY
    counted = subprocess.run(["git", "-C", repo, "log", "--format=%H", "--", key], capture_output=True, text=True)
    out["git_revisions"] = len(counted.stdout.split())
    first50 = f"git -C {repo} log -n 50 --format=%H -- {key}"
    full = f"git -C {repo} log --format=%H -- {key}"
    out["git_plain"] = hyperfine(ctx, "history", {"git log -n 50 -- key": first50}, ctx.runs + 2, warmup=1, shell=False)
    out["git_plain"].update(hyperfine(ctx, "history", {"git log -- key": full}, ctx.runs, warmup=1, shell=False))
    started = time.monotonic()
    command = ["git", "-C", repo, "commit-graph", "write", "--reachable", "--changed-paths"]
    ctx.note("history", command)
    subprocess.run(command, check=True, capture_output=True)
    out["commit_graph_write_s"] = time.monotonic() - started
    out["git_graph"] = hyperfine(ctx, "history", {"git log -n 50 -- key": first50, "git log -- key": full}, 10, warmup=2, shell=False)
    for name, value in list(out["git_plain"].items()) + list(out["git_graph"].items()):
        log(f"{name}: {value['median_s'] * 1000:.1f} ms")
    shutil.rmtree(data, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# 5. Load and diff latency by size, in-process and over HTTP at one connection.

def section_sizes(ctx):
    out = ctx.data.setdefault("sizes", {})
    jsonl = os.path.join(ctx.work, "sizes.jsonl")
    out["inprocess_markdown"] = run_bench(ctx, "sizes", ["sizes", "--json", jsonl] + (["--quick"] if ctx.quick else [])).strip()
    out["inprocess"] = read_jsonl(jsonl)
    data = ctx.fresh_dir("sizes")
    seed = os.path.join(ctx.work, "sizes-seed.json")
    run_bench(ctx, "sizes", ["seed-sizes", "--dir", data, "--out", seed])
    with open(seed) as handle:
        documents = json.load(handle)["documents"]
    server = Server(ctx, data, "sizes-serve")
    out["http"] = []
    for document in documents:
        base = f"{server.base}/api/projects/{document['project']}/prd"
        name = document["name"]
        routes = [
            ("load current", f"{base}/?name={name}"),
            ("diff (line)", f"{base}/diff/?name={name}&from={document['from']}&to={document['to']}"),
            ("diff (word)", f"{base}/diff/?name={name}&from={document['from']}&to={document['to']}&mode=word"),
        ]
        for label, url in routes:
            # A probe first: a route slower than the run length gets runs long enough for a few requests.
            t0 = time.monotonic()
            urllib.request.urlopen(url, timeout=120).read()
            probe = time.monotonic() - t0
            seconds = max(ctx.size_seconds, min(60, int(probe * 4) + 2))
            runs = [wrk(ctx, "sizes", url, "get.lua", 1, seconds, timeout="60s") for _ in range(ctx.runs)]
            row = {"size": document["label"], "op": label, "seconds": seconds, "requests": sum(r["requests"] for r in runs),
                   "non2xx": sum(r["status"] for r in runs), "timeouts": sum(r["timeout"] for r in runs),
                   "p50_ms": median([r["p50_ms"] for r in runs]), "p99_ms": median([r["p99_ms"] for r in runs])}
            out["http"].append(row)
            ctx.record(section="sizes-http", **row)
            log(f"HTTP {document['label']} {label}: p50 {row['p50_ms']:.2f} ms p99 {row['p99_ms']:.2f} ms ({row['requests']} requests)")
    out["memory"] = server.memory()
    server.stop()
    shutil.rmtree(data, ignore_errors=True)


def cleanup():
    for server in list(live_servers):
        try:
            server.stop()
        except Exception as error:  # keep stopping the others
            log(f"stopping a server failed: {error}")
    stop_seaweed()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--bin", help="folder holding the release folio and folio-bench")
    parser.add_argument("--out", required=True)
    parser.add_argument("--work", help="work folder (default: a new /tmp/folio-bench-TIMESTAMP)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--only", help="comma-separated sections: http,core,s3,history,sizes,reindex,pipeline")
    parser.add_argument("--baseline-bin", help="folder of an earlier release folio, measured beside this one (reindex, pipeline)")
    parser.add_argument("--baseline-commit", help="what the baseline build is (shown in the report)")
    parser.add_argument("--report-only", metavar="STATE", help="rewrite --out from a kept run's state.json, running nothing")
    args = parser.parse_args()
    if args.report_only:
        with open(args.report_only) as handle:
            state = json.load(handle)
        ctx = Context.__new__(Context)
        for name, value in state["context"].items():
            setattr(ctx, name, value)
        ctx.timings = {name: tuple(value) for name, value in ctx.timings.items()}
        write_report(ctx, args.out, state["started_at"], state["total_s"], state.get("failed", ()))
        log(f"wrote {args.out} from {args.report_only}")
        return
    if not args.bin:
        parser.error("--bin is required")
    ctx = Context(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sections = {"http": section_http, "core": section_core, "s3": section_s3, "history": section_history, "sizes": section_sizes,
                "reindex": section_reindex, "pipeline": section_pipeline}
    chosen = args.only.split(",") if args.only else list(sections)
    started_at = time.strftime("%Y-%m-%d %H:%M %Z")
    started = time.monotonic()
    ctx.data["machine"] = machine()
    log(f"work folder {ctx.work}; sections {', '.join(chosen)}")
    failed = []
    try:
        for name in chosen:
            before = loadavg()
            t0 = time.monotonic()
            log(f"== {name} (load average {before})")
            try:
                sections[name](ctx)
            except Exception as error:
                log(f"section {name} FAILED: {error}")
                failed.append(f"{name}: {error}")
                cleanup()
            ctx.timings[name] = (time.monotonic() - t0, before, loadavg())
    finally:
        cleanup()
    total_s = time.monotonic() - started
    keep = ("quick", "runs", "seconds", "size_seconds", "history_files", "history_tracked", "mirror_files", "commands", "data", "timings")
    with open(os.path.join(ctx.work, "state.json"), "w") as handle:
        json.dump({"context": {name: getattr(ctx, name) for name in keep}, "started_at": started_at, "total_s": total_s,
                   "failed": failed}, handle, indent=1, default=str)
    write_report(ctx, args.out, started_at, total_s, failed)
    log(f"wrote {args.out} in {(time.monotonic() - started) / 60:.1f} min")
    if not args.keep:
        shutil.rmtree(ctx.work, ignore_errors=True)
    else:
        log(f"kept {ctx.work}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        cleanup()
        sys.exit(130)
