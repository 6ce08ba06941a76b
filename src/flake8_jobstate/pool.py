"""Worker processes for the CLI, where a crash is one file's error and never the run's.

libcst's parser is native code: on an input the engine's guard did not foresee it could die with a signal,
and a dead worker breaks a ``ProcessPoolExecutor`` (every pending file fails with ``BrokenProcessPool``).
Here each worker announces the item it starts on a synchronous queue; after a break, the items that were
started but did not finish (at most one per worker) are re-run one by one, each in a process of its own,
so the one that crashes is named, and the items never started go to a fresh pool.

Workers end with the main process: on Linux the kernel kills them when it dies (``PR_SET_PDEATHSIG``), and
everywhere a worker checks its parent before each item, so a killed run does not go on fixing files.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Optional, Sequence


class Crashed:
    """What a run returns in place of a result for an item whose worker process died."""

    def __init__(self, how: str) -> None:
        self.how = how

    def __repr__(self) -> str:
        return f"Crashed({self.how!r})"


_STARTED: Any = None
_PARENT = 0


def die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process when its parent ends (Linux); elsewhere :func:`_orphaned` serves."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _orphaned() -> bool:
    return bool(_PARENT) and os.getppid() != _PARENT


def _init(started: Any, parent: int, init: Callable, initargs: tuple) -> None:
    global _STARTED, _PARENT
    _STARTED, _PARENT = started, parent
    die_with_parent(parent)
    init(*initargs)


def _call(worker: Callable, index: int, item: Any) -> Any:
    if _orphaned():
        os._exit(1)
    _STARTED.put(index)  # synchronous: written before the work starts, even if the process then dies
    return worker(item)


def _describe(exitcode: Optional[int]) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exited with status {exitcode}"


def _alone_main(conn: Any, worker: Callable, item: Any, init: Callable, initargs: tuple, parent: int) -> None:
    die_with_parent(parent)
    init(*initargs)
    conn.send(worker(item))
    conn.close()


def _alone(worker: Callable, item: Any, init: Callable, initargs: tuple) -> Any:
    """``worker(item)`` in a process of its own: its result, or Crashed."""
    ctx = multiprocessing.get_context()
    mine, theirs = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_alone_main, args=(theirs, worker, item, init, initargs, os.getpid()), daemon=True)
    proc.start()
    theirs.close()
    try:
        result = mine.recv()
    except EOFError:
        proc.join()
        return Crashed(_describe(proc.exitcode))
    finally:
        mine.close()
    proc.join()
    return result


def run(items: Sequence[Any], worker: Callable, init: Callable, initargs: tuple, workers: int,
        order: Optional[Sequence[int]] = None) -> list:
    """``[worker(item) for item in items]`` in ``workers`` processes (``init(*initargs)`` in each first);
    a Crashed in place of the result of an item whose process died. ``order``: the order to start them."""
    results: dict[int, Any] = {}
    pending = list(order if order is not None else range(len(items)))
    ctx = multiprocessing.get_context()
    while pending:
        started = ctx.SimpleQueue()
        broke = False
        with ProcessPoolExecutor(max_workers=workers, initializer=_init,
                                 initargs=(started, os.getpid(), init, initargs)) as ex:
            futures = {ex.submit(_call, worker, i, items[i]): i for i in pending}
            for fut in as_completed(futures):
                try:
                    results[futures[fut]] = fut.result()
                except BrokenProcessPool:
                    broke = True
        if not broke:
            break
        began: set[int] = set()
        while not started.empty():
            began.add(started.get())
        suspects = [i for i in pending if i in began and i not in results]
        if not suspects:  # nothing was started: the workers themselves cannot run
            raise RuntimeError("worker processes died before starting")
        for i in suspects:  # the crash is among these: each alone names it
            results[i] = _alone(worker, items[i], init, initargs)
        pending = [i for i in pending if i not in results]
    return [results[i] for i in range(len(items))]
