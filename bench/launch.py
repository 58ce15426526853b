#!/usr/bin/env python3
"""Launch time and memory of the desktop app on a large database (issue 7's measurement).

    scripts/with-keyring python3 bench/launch.py DB [RUNS]

Starts tauri-driver, asks it for a session on the real app (built by `cargo build`, under
Xvfb), and measures the time from the session request to the first row of the queue's table
being present, then the resident memory (VmRSS) of the app and of its WebKit processes. Plain
WebDriver over HTTP: no packages needed. Each run starts the app afresh; the best and the worst
run are printed, with the machine's load.
"""
import json, os, subprocess, sys, time, urllib.request, socket, signal

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
app = os.path.join(root, "target", "debug", "replay-console")
if len(sys.argv) < 2:
    sys.exit("usage: bench/launch.py DB [RUNS]")
db = os.path.abspath(sys.argv[1])
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
app = os.environ.get("REPLAY_CONSOLE_BIN", app)
driver_bin = os.environ.get("TAURI_DRIVER", os.path.expanduser("~/.cargo/bin/tauri-driver"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def call(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"{}")


def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            # pid (comm) state ppid ...: comm may hold spaces, so split after its closing paren.
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def descends_from(pid, ancestor):
    seen = 0
    while pid > 1 and seen < 64:
        if pid == ancestor:
            return True
        pid, seen = parent_of(pid), seen + 1
    return False


def rss_kb(names, ancestor):
    """Resident memory of the processes named `names` that this run started (descendants of
    its tauri-driver), not of any other copy of the app running on the machine."""
    total, found = 0, []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or not descends_from(int(pid), ancestor):
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
        except OSError:
            continue
        name = status.split("\n", 1)[0].split(":", 1)[1].strip()
        if any(name.startswith(n) for n in names):
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    kb = int(line.split()[1])
                    total += kb
                    found.append((name, kb))
    return total, found


results = []
for i in range(runs):
    port, native = free_port(), free_port()
    drv = subprocess.Popen([driver_bin, "--port", str(port), "--native-port", str(native)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            call("GET", base + "/status")
            break
        except Exception:
            time.sleep(0.05)
    caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": app, "args": ["--db", db]}}}}
    t0 = time.monotonic()
    sid = call("POST", base + "/session", caps)["value"]["sessionId"]
    row = {"using": "css selector", "value": "[aria-label='Events'] tbody tr[aria-rowindex='2'] td"}
    while True:
        try:
            call("POST", f"{base}/session/{sid}/element", row)
            break
        except Exception:
            if time.monotonic() - t0 > 60:
                raise SystemExit("no queue row within 60 s")
            time.sleep(0.02)
    first_row = time.monotonic() - t0
    time.sleep(1.0)  # let the first pages and counts settle before reading memory
    app_kb, _ = rss_kb(["replay-console"], drv.pid)
    web_kb, procs = rss_kb(["WebKitWebProces", "WebKitNetworkPr"], drv.pid)
    results.append({"first_row_s": round(first_row, 3), "app_rss_mb": round(app_kb / 1024, 1),
                    "webkit_rss_mb": round(web_kb / 1024, 1), "total_rss_mb": round((app_kb + web_kb) / 1024, 1)})
    try:
        call("DELETE", f"{base}/session/{sid}")
    except Exception:
        pass
    drv.send_signal(signal.SIGTERM)
    try:
        drv.wait(timeout=10)
    except subprocess.TimeoutExpired:
        drv.kill()
    time.sleep(0.5)

print(json.dumps({"db": db, "runs": results, "load": os.getloadavg()}, indent=2))
