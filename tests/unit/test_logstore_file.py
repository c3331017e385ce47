"""What only the file log store does: its files, crashes in the middle, a full disk."""

from __future__ import annotations

from pathlib import Path

from ishcd.logstore_file import FileLogStore

RUN = "3abed1d7-68ec-4151-ae87-edcc918315b4"


async def _final(store: FileLogStore) -> bytes:
    size = await store.close(RUN)
    return b"".join(store.read_now(RUN, 0, size))


async def test_a_capped_log_keeps_no_tail_files_once_closed(tmp_path: Path) -> None:
    store = FileLogStore(tmp_path, max_bytes=1024)
    data = b"".join(b"%05d\n" % n for n in range(2000))
    await store.append(RUN, 0, data)
    assert (tmp_path / RUN[:2] / f"{RUN}.tail").exists()
    await _final(store)
    assert not (tmp_path / RUN[:2] / f"{RUN}.tail").exists()


async def test_a_restart_in_the_middle_resumes_the_tail(tmp_path: Path) -> None:
    store = FileLogStore(tmp_path, max_bytes=1024)
    data = bytes(range(256)) * 20
    await store.append(RUN, 0, data[:3000])
    again = FileLogStore(tmp_path, max_bytes=4096)  # the log keeps the cap it started with
    assert await again.received(RUN) == 3000
    await again.append(RUN, 2000, data[2000:])
    final = await _final(again)
    assert final.startswith(data[:512] + f"\n[ishcd] {len(data) - 1024} bytes".encode())
    assert final.endswith(b"of 1024 bytes)\n" + data[-512:])
    await store.close_all()


async def test_a_finish_cut_off_by_a_crash_is_done_again(tmp_path: Path) -> None:
    store = FileLogStore(tmp_path, max_bytes=1024)
    data = bytes(range(256)) * 20
    await store.append(RUN, 0, data)
    with open(store.path(RUN), "ab") as half_written:
        half_written.write(b"\n[ishcd] 40")  # the process died here
    again = FileLogStore(tmp_path, max_bytes=1024)
    final = await _final(again)
    assert final == data[:512] + b"\n[ishcd] 4096 bytes of log dropped here" + final[551:]
    assert final.endswith(data[-512:])
    await store.close_all()


async def test_memory_and_disk_stay_bounded_past_the_cap(tmp_path: Path) -> None:
    cap = 64 * 1024
    store = FileLogStore(tmp_path, max_bytes=cap)
    chunk = b"x" * 65536
    offset = 0
    for _ in range(200):  # 12.5 MiB through a 64 KiB cap
        offset = await store.append(RUN, offset, chunk)
    on_disk = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    assert on_disk <= cap + cap // 8 + 16
    assert len(await _final(store)) < cap + 100


async def test_a_log_that_cannot_be_written_never_fails_the_appender(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    store = FileLogStore(blocked, max_bytes=1024)
    assert await store.append(RUN, 0, b"a" * 5000) == 5000  # counted, not stored
    assert await store.append(RUN, 5000, b"b") == 5001
    assert await store.size(RUN) == 0
    assert await store.close(RUN) == 0
