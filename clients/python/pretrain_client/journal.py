"""The disk buffer: an append-only JSONL file of every record not yet acknowledged by the server.

Lines: {"t":"meta",...} first, then {"t":"rec","id":N,...} for each record as it is logged, and
{"t":"ack","upto":N} once every record up to N is acknowledged. A file is held with an exclusive
flock by the client that writes it, so another process adopts only journals whose writer is gone.
A write reaches the OS before log() returns, so a killed process loses nothing it logged.
"""

import glob
import json
import os
import socket
import threading
import uuid

try:
    import fcntl
except ImportError:  # not on Windows: journals there are adopted without the liveness check
    fcntl = None

COMPACT_BYTES = 8 << 20


def default_root():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pretrain-client")


def _lock(f):
    if fcntl is None:
        return True
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


class Journal:
    def __init__(self, root, run_id, url):
        self.dir = os.path.join(root, run_id)
        os.makedirs(self.dir, exist_ok=True)
        self.path = os.path.join(self.dir, f"journal-{uuid.uuid4().hex}.jsonl")
        self.meta = {"t": "meta", "v": 1, "url": url, "run_id": run_id, "pid": os.getpid(),
                     "host": socket.gethostname(), "client": "python"}
        self._mu = threading.Lock()
        self._f = open(self.path, "a", encoding="utf-8")
        _lock(self._f)
        self._write(self.meta)

    def _write(self, obj):
        self._f.write(json.dumps(obj, allow_nan=False, separators=(",", ":")) + "\n")
        self._f.flush()

    def append(self, rec):
        with self._mu:
            self._write({"t": "rec", **rec})

    def ack(self, upto, nothing_pending):
        with self._mu:
            if self._f.closed:
                return
            if nothing_pending and self._f.tell() > COMPACT_BYTES:
                # Everything written is acknowledged: start the file over instead of growing it.
                self._f.seek(0)
                self._f.truncate()
                self._write(self.meta)
            self._write({"t": "ack", "upto": upto})

    def close(self, delete):
        with self._mu:
            if self._f.closed:
                return
            self._f.close()
            if delete:
                os.unlink(self.path)
                try:
                    os.rmdir(self.dir)
                except OSError:  # another journal of the run is still there
                    pass


def read_pending(path):
    """The unacknowledged records of one journal file, in order; a torn last line is skipped."""
    meta, recs, acked = None, [], -1
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            t = obj.get("t")
            if t == "meta":
                meta = obj
            elif t == "rec":
                recs.append(obj)
            elif t == "ack":
                acked = max(acked, obj.get("upto", -1))
    return meta, [r for r in recs if r.get("id", -1) > acked]


def _written_by_live_process(meta):
    """The TypeScript client cannot flock; its journals name their writer's pid instead."""
    pid = meta.get("pid")
    if not isinstance(pid, int) or pid == os.getpid() or meta.get("host") != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except OSError:
        return False


def adopt(root, url, own_run_id):
    """Takes over the journals under `root` that no live client holds and that were written for
    this server (or for this run). Returns (records, held): re-journal the records, then pass
    `held` to remove_adopted. The flocks stay held until then, so no other client adopts them too."""
    found, held = [], []
    own_dir = os.path.join(root, own_run_id)
    for path in sorted(glob.glob(os.path.join(root, "*", "journal-*.jsonl"))):
        try:
            f = open(path, "a+", encoding="utf-8")
        except OSError:
            continue
        if not _lock(f):
            f.close()
            continue
        meta, recs = read_pending(path)
        if meta and _written_by_live_process(meta):
            f.close()
            continue
        same_run = os.path.dirname(path) == own_dir
        if not same_run and (not meta or meta.get("url") != url):
            f.close()
            continue
        found.extend(recs)
        held.append((path, f))
    return found, held


def remove_adopted(held):
    for path, f in held:
        try:
            os.unlink(path)
        except OSError:
            pass
        f.close()
        try:
            os.rmdir(os.path.dirname(path))
        except OSError:  # not empty: another journal of that run is live
            pass
