"""A pool of Lambda execution environments: worker processes, each running one invocation at a time.

Processes, not threads: Powertools keeps the current event on the router class, so concurrent
invocations in one process would read each other's events. Forked by a fork server, which is a fresh
single-threaded interpreter: no worker inherits the gateway's threads or sockets, and the libraries
every handler imports are loaded once, in the server, instead of in each of the workers.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from devstack import lambda_runtime
from devstack.lambda_runtime import FunctionSpec


class LambdaPool:
    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._closed = False
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(lambda_runtime.COMMON_IMPORTS))
        return ProcessPoolExecutor(self.size, mp_context=context, initializer=lambda_runtime.init_worker)

    def warm(self) -> set[int]:
        """Start every worker now rather than on the first requests; returns their pids."""
        futures = [self._executor.submit(lambda_runtime.warm) for _ in range(self.size)]
        wait(futures)
        return {f.result() for f in futures}

    def invoke(self, spec: FunctionSpec, event: dict) -> tuple[bool, object]:
        """(True, result) or (False, message), never raises."""
        executor = self._executor
        try:
            return executor.submit(lambda_runtime.invoke, spec, event).result()
        except BrokenProcessPool:
            # A worker died (os._exit, segfault, OOM): Lambda would start a new environment.
            with self._lock:
                if self._executor is executor and not self._closed:
                    print("[devstack] a worker died; restarting the pool", file=sys.stderr)
                    self._executor = self._new_executor()
            return False, f"the execution environment of {spec.name} died"
        except Exception as exc:  # e.g. a result that cannot be pickled
            return False, f"{spec.name}: {type(exc).__name__}: {exc}"

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            executor = self._executor
        processes = list(getattr(executor, "_processes", {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        # Workers keep no state worth a graceful exit (the data lives in moto), and eight interpreters
        # tearing down boto3 & co take seconds on a busy machine: stop them now.
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(5)
