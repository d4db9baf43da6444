"""JobQueue: jobs run in order on one thread; a failing job is reported, the next one runs; stop ends it."""

from __future__ import annotations

import threading
import time

from kiosk_app.pipeline.jobqueue import JobQueue


def test_jobs_run_in_order_on_the_named_thread() -> None:
    ran: list[tuple[int, str]] = []
    jobs: JobQueue[int] = JobQueue(lambda n: ran.append((n, threading.current_thread().name)), name="q-test")
    for n in range(20):
        jobs.put(n)  # queued before the thread starts: they wait for it
    jobs.start()
    assert jobs.wait_idle(5.0)
    assert ran == [(n, "q-test") for n in range(20)]
    assert jobs.stop(5.0)


def test_a_failing_job_is_reported_and_the_thread_goes_on() -> None:
    ran: list[int] = []
    errors: list[tuple[int, str]] = []

    def handle(n: int) -> None:
        if n == 2:
            raise ValueError("bad job")
        ran.append(n)

    jobs: JobQueue[int] = JobQueue(handle, name="q-test",
                                   on_error=lambda n, exc: errors.append((n, str(exc))))
    jobs.start()
    for n in range(5):
        jobs.put(n)
    assert jobs.wait_idle(5.0)
    assert ran == [0, 1, 3, 4] and errors == [(2, "bad job")]
    assert jobs.alive
    assert jobs.stop(5.0)


def test_a_failing_error_handler_does_not_end_the_thread() -> None:
    ran: list[int] = []

    def handle(n: int) -> None:
        if n == 0:
            raise ValueError("bad job")
        ran.append(n)

    def on_error(n: int, exc: Exception) -> None:
        raise RuntimeError("the report failed too")

    jobs: JobQueue[int] = JobQueue(handle, name="q-test", on_error=on_error)
    jobs.start()
    jobs.put(0)
    jobs.put(1)
    assert jobs.wait_idle(5.0) and ran == [1] and jobs.alive
    assert jobs.stop(5.0)


def test_stop_ends_the_thread_after_the_queued_jobs_then_runs_on_exit() -> None:
    gate = threading.Event()
    ran: list[int] = []
    exited: list[str] = []

    def handle(n: int) -> None:
        gate.wait(5.0)
        ran.append(n)

    jobs: JobQueue[int] = JobQueue(handle, name="q-test", on_exit=lambda: exited.append(
        threading.current_thread().name))
    jobs.start()
    jobs.put(1)
    jobs.put(2)
    assert not jobs.stop(0.05)  # job 1 is still running: the thread lives on
    jobs.put(3)  # after the stop sentinel: never runs
    gate.set()
    assert jobs.stop(5.0)
    assert not jobs.alive and ran == [1, 2] and exited == ["q-test"]


def test_drain_drops_only_rejected_jobs_and_keeps_the_markers() -> None:
    gate = threading.Event()
    ran: list[int] = []

    def handle(n: int) -> None:
        gate.wait(5.0)
        ran.append(n)

    jobs: JobQueue[int] = JobQueue(handle, name="q-test")
    jobs.start()
    for n in range(6):  # 0 runs (blocked on the gate), 1..5 wait in the queue
        jobs.put(n)
    idle = threading.Event()

    def wait() -> None:
        if jobs.wait_idle(5.0):
            idle.set()

    waiter = threading.Thread(target=wait)
    waiter.start()
    deadline = time.monotonic() + 5.0
    while jobs._queue.qsize() < 6 and time.monotonic() < deadline:  # 5 jobs + the waiter's marker
        waiter.join(0.01)
    jobs.drain(lambda n: n % 2 == 0)
    gate.set()
    waiter.join(5.0)
    assert idle.is_set()  # its marker survived the drain
    assert jobs.wait_idle(5.0) and ran == [0, 2, 4]
    assert jobs.stop(5.0)
