"""Output safety under faults: empty and odd paths, permissions, links, mounts, full disks,
racing writers, readers during overwrites, kill -9, SIGTERM, and fsync."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from conftest import require_root

import simpleitk_dicomwriter as dw
import simpleitk_dicomwriter.sinks.fileset as fileset_module
from simpleitk_dicomwriter import OutputError
from simpleitk_dicomwriter.sinks.directory import debris_names
from simpleitk_dicomwriter.types import Modality


def volume(slices: int = 4, size: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(-1000, 3000, (slices, size, size)).astype(np.int16)


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def one_complete_series(directory: Path, slices: int | None = None) -> str:
    """The Series Instance UID of the single complete series in ``directory``."""
    files = sorted(directory.iterdir())
    uids = {str(pydicom.dcmread(f, stop_before_pixels=True).SeriesInstanceUID) for f in files}
    assert len(uids) == 1, f"{directory} mixes series {uids}"
    count = int(pydicom.dcmread(files[0], stop_before_pixels=True).get("NumberOfSlices", 0) or 0)
    if slices is not None:
        assert len(files) == slices, f"{len(files)} files, expected {slices}"
    elif count:
        assert len(files) == count
    return uids.pop()


def assert_no_debris(output_dir: Path) -> None:
    assert debris_names(output_dir) == [], debris_names(output_dir)


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize("path", ["", "   "])
def test_empty_path_is_an_error_and_removes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "precious.txt").write_text("mine")
    for overwrite in (False, True):
        with pytest.raises(OutputError, match="empty"):
            dw.write_series(volume(), path, overwrite=overwrite)
    assert sorted(os.listdir(tmp_path)) == ["precious.txt"]


def test_empty_path_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("mine")
    result = subprocess.run(
        [sys.executable, "-m", "simpleitk_dicomwriter", "write", "example:ct", "", "--overwrite"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["precious.txt"]


@pytest.mark.parametrize("path", [None, b"out", 42, ["out"]])
def test_output_dir_of_the_wrong_type_is_an_output_error(path: object) -> None:
    with pytest.raises(OutputError, match=r"str or os\.PathLike"):
        dw.write_series(volume(), path)  # type: ignore[arg-type]


def test_nul_and_overlong_names(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="NUL"):
        dw.write_series(volume(), str(tmp_path / "a\0b"))
    with pytest.raises(OutputError, match="too long"):
        dw.write_series(volume(), tmp_path / ("x" * 300))
    assert os.listdir(tmp_path) == []


def test_dangling_link_and_loop(tmp_path: Path) -> None:
    (tmp_path / "dangling").symlink_to(tmp_path / "absent")
    with pytest.raises(OutputError, match="does not exist"):
        dw.write_series(volume(), tmp_path / "dangling")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(OutputError, match="symbolic links"):
        dw.write_series(volume(), tmp_path / "a")
    assert sorted(os.listdir(tmp_path)) == ["a", "b", "dangling"]


def test_symlink_is_followed_and_stays(tmp_path: Path) -> None:
    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    ws = dw.write_series(volume(), link)
    assert link.is_symlink() and link.resolve() == target
    assert len(os.listdir(target)) == 4
    again = dw.write_series(volume(seed=1), link, overwrite=True)
    assert link.is_symlink() and link.resolve() == target
    assert one_complete_series(target, 4) == again.series_instance_uid != ws.series_instance_uid
    assert sorted(os.listdir(tmp_path)) == ["link", "real"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_existing_directory_keeps_mode_and_owner(tmp_path: Path, overwrite: bool) -> None:
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    os.chmod(out, 0o700)  # the umask may have cleared bits
    if overwrite:
        dw.write_series(volume(), out)
    owner = (out.stat().st_uid, out.stat().st_gid)
    if os.geteuid() == 0:
        os.chown(out, 65534, 65534)  # nobody: the write must not hand it back to root
        owner = (65534, 65534)
    dw.write_series(volume(seed=2), out, overwrite=overwrite)
    status = out.stat()
    assert stat.S_IMODE(status.st_mode) == 0o700
    assert (status.st_uid, status.st_gid) == owner
    assert sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.parametrize(
    "extra", ["notes.txt", "subfolder/", ".hidden", "subfolder/inner.dcm"]
)  # fmt: skip
def test_overwrite_refuses_anything_but_a_dicom_series(tmp_path: Path, extra: str) -> None:
    out = tmp_path / "out"
    dw.write_series(volume(), out)
    target = out / extra.rstrip("/")
    if extra.endswith("/"):
        target.mkdir()
    else:
        target.parent.mkdir(exist_ok=True)
        target.write_text("not ours")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(OutputError, match="not"):
        dw.write_series(volume(seed=3), out, overwrite=True)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(os.listdir(tmp_path)) == ["out"]


# --------------------------------------------------------------------------- mounts and disks


@contextlib.contextmanager
def tmpfs(where: Path, options: str) -> Iterator[Path]:
    require_root()
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_mount_point_as_output_dir(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mnt", "size=16m,mode=0750") as mnt:
        first = dw.write_series(volume(6), mnt)
        assert one_complete_series(mnt, 6) == first.series_instance_uid
        second = dw.write_series(volume(3, seed=4), mnt, overwrite=True)
        assert one_complete_series(mnt, 3) == second.series_instance_uid
        assert stat.S_IMODE(mnt.stat().st_mode) == 0o750
        assert os.path.ismount(mnt)
        assert_no_debris(mnt)
        assert not [n for n in os.listdir(mnt) if n.startswith(".")]


@pytest.mark.parametrize("overwrite", [False, True])
def test_disk_full_is_a_plain_output_error(tmp_path: Path, overwrite: bool) -> None:
    with tmpfs(tmp_path / "mnt", "size=1m") as mnt:
        out = mnt / "out"
        before = {}
        if overwrite:
            dw.write_series(volume(2), out)
            before = snapshot(out)
        with pytest.raises(OutputError, match="disk is full") as info:
            dw.write_series(volume(40, 128), out, overwrite=overwrite)
        assert "component type" not in str(info.value)
        if overwrite:
            assert snapshot(out) == before
            assert sorted(os.listdir(mnt)) == ["out"]
        else:
            assert os.listdir(mnt) == []


class _FullOs:
    """The os module, seen by one module, on a disk that is full for renames."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    @staticmethod
    def replace(*_: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_during_the_file_set_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Moving files to their media file IDs on a full disk is a plain OutputError too."""

    monkeypatch.setattr(fileset_module, "os", _FullOs())
    with pytest.raises(OutputError, match="disk is full"):
        dw.write_series(
            volume().astype(np.float32), tmp_path / "pet", modality="PT",
            metadata={"PatientID": "P1"}, dicomdir=True,
        )  # fmt: skip
    assert os.listdir(tmp_path) == []


def test_no_free_inodes(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mnt", "size=16m,nr_inodes=6") as mnt:
        with pytest.raises(OutputError, match=r"inode|disk is full|no space"):
            dw.write_series(volume(20), mnt / "out")
        assert [n for n in os.listdir(mnt) if not n.startswith(".")] == []
        assert_no_debris(mnt / "out")


def test_read_only_file_system(tmp_path: Path) -> None:
    with (
        tmpfs(tmp_path / "mnt", "size=1m,ro") as mnt,
        pytest.raises(OutputError, match="read-only"),
    ):
        dw.write_series(volume(), mnt / "out")


# --------------------------------------------------------------------------- concurrency

_WRITER = """
import json, sys, time
import numpy as np
import simpleitk_dicomwriter as dw
out, overwrite, seed, start = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), float(sys.argv[4])
data = np.random.default_rng(seed).integers(0, 1000, (12, 32, 32)).astype(np.int16)
while time.time() < start:
    pass
try:
    ws = dw.write_series(data, out, overwrite=overwrite, durable=False)
    print(json.dumps({"ok": True, "uid": ws.series_instance_uid}))
except dw.OutputError as error:
    print(json.dumps({"ok": False, "error": str(error)}))
"""


@pytest.mark.parametrize("overwrite", [False, True])
def test_racing_writers(tmp_path: Path, overwrite: bool) -> None:
    for trial in range(3):
        out = tmp_path / f"out{trial}"
        if overwrite:
            dw.write_series(volume(12, 32), out, durable=False)
        start = time.time() + 1.5
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _WRITER, str(out), str(int(overwrite)), str(i), str(start)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for i in range(4)
        ]
        results = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
        winners = [r for r in results if r["ok"]]
        if not overwrite:
            assert len(winners) == 1, results
        assert winners, results
        losers = [r for r in results if not r["ok"]]
        assert all("being written" in r["error"] or "not empty" in r["error"] for r in losers)
        assert one_complete_series(out, 12) in {w["uid"] for w in winners}
        assert_no_debris(out)


def test_a_write_from_inside_a_progress_callback_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    inner: list[BaseException] = []

    def progress(done: int, total: int) -> None:
        if done == 1:
            try:
                dw.write_series(volume(seed=9), out, overwrite=True)
            except OutputError as error:
                inner.append(error)

    ws = dw.write_series(volume(), out, progress=progress)
    assert len(inner) == 1 and "this process" in str(inner[0])
    assert one_complete_series(out, 4) == ws.series_instance_uid
    assert_no_debris(out)


_OVERWRITER = """
import sys
import numpy as np
import simpleitk_dicomwriter as dw
out, rounds = sys.argv[1], int(sys.argv[2])
for k in range(rounds):
    data = np.full((10, 24, 24), k, np.int16)
    dw.write_series(data, out, overwrite=True, durable=False)
"""


def test_a_reader_never_sees_a_mix_a_partial_or_no_series(tmp_path: Path) -> None:
    out = tmp_path / "out"
    dw.write_series(np.zeros((10, 24, 24), np.int16), out, durable=False)
    writer = subprocess.Popen([sys.executable, "-c", _OVERWRITER, str(out), "12"])
    seen, problems = 0, []
    while writer.poll() is None:
        # A reader that wants one consistent view opens the directory once.
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)  # never absent
        try:
            names = sorted(os.listdir(fd))
            uids = set()
            for name in names:
                with open(os.open(name, os.O_RDONLY, dir_fd=fd), "rb") as f:
                    uids.add(str(pydicom.dcmread(f, stop_before_pixels=True).SeriesInstanceUID))
            # Still the current directory: then it was current throughout (a retired
            # one never comes back), and what was read is one state of output_dir.
            current = os.path.samestat(os.fstat(fd), os.stat(out))
        except FileNotFoundError:
            current = False  # the directory was retired and is being removed: read again
        finally:
            os.close(fd)
        if not current:
            continue
        if len(names) != 10 or len(uids) != 1:
            problems.append((names, uids))
        seen += 1
    assert writer.returncode == 0
    assert not problems, problems[:3]
    assert seen > 5
    assert_no_debris(out)


# --------------------------------------------------------------------------- kill -9 and signals

_KILLABLE = """
import os, signal, sys
import numpy as np
import simpleitk_dicomwriter as dw
import simpleitk_dicomwriter.sinks.directory as directory
out, seed, step = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if step != "none":
    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    setattr(directory, step, killed)
data = np.random.default_rng(seed).integers(0, 4000, (40, 64, 64)).astype(np.int16)
print("start", flush=True)
dw.write_series(data, out, overwrite=True)
"""


def _killed_write(out: Path, seed: int, delay: float | None, step: str = "none") -> float:
    """Run a write in a subprocess, SIGKILLed ``delay`` s after it starts; its run time."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE, str(out), str(seed), step],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    proc.stdout.readline()  # imports done
    started = time.monotonic()
    if delay is not None:
        time.sleep(delay)
        proc.kill()
    proc.wait(timeout=120)
    return time.monotonic() - started


@pytest.mark.parametrize("existing", [False, True])
def test_kill_9_at_random_moments(tmp_path: Path, existing: bool) -> None:
    rng = random.Random(7 + existing)
    # Kills spread over the whole write: its duration, measured unkilled.
    duration = _killed_write(tmp_path / "timing", 0, None)
    outcomes = []
    for trial in range(20):
        out = tmp_path / f"out{trial}"
        before: dict[str, bytes] = {}
        if existing:
            dw.write_series(volume(5), out, durable=False)
            before = snapshot(out)
        _killed_write(out, trial, rng.uniform(0.0, duration))
        if out.exists() and snapshot(out) != before:
            one_complete_series(out, 40)
            outcomes.append("new")
        else:
            assert out.exists() or not existing, "the old series vanished"
            outcomes.append("old")
        ws = dw.write_series(volume(3), out, overwrite=True)  # the next write works
        assert one_complete_series(out, 3) == ws.series_instance_uid
        assert_no_debris(out)
    assert {"old", "new"} <= set(outcomes), outcomes  # the kills landed inside the write


@pytest.mark.parametrize("step", ["_renameat2", "fsync_path"])
def test_kill_9_at_the_publish_steps(tmp_path: Path, step: str) -> None:
    out = tmp_path / "out"
    dw.write_series(volume(5), out)
    before = snapshot(out)
    _killed_write(out, 1, None, step)
    assert snapshot(out) == before  # killed before the exchange: the old series, whole
    assert debris_names(out)  # the staging of the killed writer...
    dw.write_series(volume(3), out, overwrite=True)
    assert_no_debris(out)  # ...is removed by the next write


def test_kill_9_right_after_the_exchange(tmp_path: Path) -> None:
    """Between the exchange and removing the old series: the new one is complete."""
    script = _KILLABLE.replace(
        "dw.write_series(data, out, overwrite=True)",
        "orig = directory.OutputTarget.make_durable\n"
        "def killed(self, d):\n"
        "    orig(self, d)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "directory.OutputTarget.make_durable = killed\n"
        "dw.write_series(data, out, overwrite=True)",
    )
    out = tmp_path / "out"
    dw.write_series(volume(5), out)
    proc = subprocess.run(
        [sys.executable, "-c", script, str(out), "2", "none"], capture_output=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL
    one_complete_series(out, 40)
    assert debris_names(out)  # the old series, beside
    dw.write_series(volume(3), out, overwrite=True)
    assert_no_debris(out)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("existing", [False, True])
def test_sigterm_and_sighup_exit_cleanly(tmp_path: Path, signum: int, existing: bool) -> None:
    npy = tmp_path / "big.npy"
    np.save(npy, np.random.default_rng(0).normal(0, 100, (300, 128, 128)).astype(np.float32))
    out = tmp_path / "out"
    before: dict[str, bytes] = {}
    if existing:
        dw.write_series(volume(5), out)
        before = snapshot(out)
    proc = subprocess.Popen(
        [sys.executable, "-m", "simpleitk_dicomwriter", "write", str(npy), str(out),
         "--overwrite"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.time() + 60
    while not debris_names(out) and time.time() < deadline:  # writing has started
        time.sleep(0.02)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr
    assert snapshot(out) == before if existing else not out.exists()
    assert_no_debris(out)


# --------------------------------------------------------------------------- durability


def _count_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        original(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


@pytest.mark.parametrize("modality", ["CT", "PT"])
def test_durable_syncs_every_file_and_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, modality: Modality
) -> None:
    calls = _count_fsyncs(monkeypatch)
    data = volume(7).astype(np.float32)
    dw.write_series(data, tmp_path / "out", modality=modality)
    assert len(calls) >= 7 + 2  # each file, the staging directory, the parent
    calls.clear()
    dw.write_series(data, tmp_path / "out", modality=modality, overwrite=True)
    assert len(calls) >= 7 + 2


def test_durable_false_syncs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_fsyncs(monkeypatch)
    dw.write_series(volume(7), tmp_path / "out", durable=False)
    dw.write_series(volume(7), tmp_path / "out", durable=False, overwrite=True)
    assert calls == []


def test_syncing_runs_beside_the_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files are synced by background threads while the next slices are written."""
    threads: set[str] = set()
    original = os.fsync

    def recording(fd: int) -> None:
        threads.add(threading.current_thread().name)
        original(fd)

    monkeypatch.setattr(os, "fsync", recording)
    dw.write_series(volume(7), tmp_path / "out")
    assert any(name.startswith("dicomwriter-fsync-") for name in threads), threads


def test_an_interrupt_inside_mkdtemp_leaves_no_staging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signal between creating the staging directory and knowing its name."""
    import tempfile

    real = tempfile.mkdtemp

    def interrupted(*args: Any, **kwargs: Any) -> str:
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(tempfile, "mkdtemp", interrupted)
    with pytest.raises(KeyboardInterrupt):
        dw.write_series(volume(3), tmp_path / "out")
    assert os.listdir(tmp_path) == []
