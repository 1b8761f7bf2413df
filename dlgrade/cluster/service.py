"""``service``: send the batch to the course's warm grading service (`dlgrade serve`).

The service grades with processes that are already warm (`dlgrade.grading.service`), so
a batch pays no start-up beyond this command's own. What the service does not grade
(none answers, it runs other settings or another dlgrade, it stops mid-batch) is graded
here by the local executor, with a warning saying why, unless `fallback` is off.
"""

from __future__ import annotations

import socket

from traitlets import Bool

from dlgrade.cluster import Executor, LocalExecutor
from dlgrade.grading.autograder import Autograder
from dlgrade.grading.results import Result, ResultError
from dlgrade.grading.service import GradingService, grade_request, replies
from dlgrade.sandbox import protocol


class ServiceError(RuntimeError):
    """The service did not grade the whole batch and `fallback` is off."""


class ServiceExecutor(Executor):
    """Grade with the warm grading service of the course (`dlgrade serve`)."""

    fallback = Bool(
        True,
        help="Grade here, with the local executor, the submissions the grading service "
        "does not (no service answers, it runs other grading settings or another dlgrade, "
        "it stops mid-batch), with a warning; False: fail instead.",
    ).tag(config=True)

    def run(self, config, paths, jobs, workers, progress=None):
        path = GradingService(parent=self).socket_path(paths)
        results, left, why = self._ask(path, config, jobs, workers, progress)
        if not left:
            return results
        if not self.fallback:
            raise ServiceError(f"{why} ({len(left)} of {len(jobs)} not graded)")
        self.log.warning("%s: grading %d submission(s) here", why, len(left))
        local = LocalExecutor(parent=self)
        return results + local.run(config, paths, left, min(workers, len(left)), progress)

    def _ask(self, path, config, jobs, workers, progress):
        """(results, jobs left ungraded, why they were left) from the service at `path`."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(10)
            sock.connect(str(path))
        except OSError as exc:
            sock.close()
            return [], list(jobs), f"no grading service answers at {path} ({exc})"
        watchdog = Autograder(config=config).watchdog_seconds()
        sock.settimeout(watchdog + 120 if watchdog else None)
        results: list[Result] = []
        seen: set[int] = set()
        why = "the grading service stopped before the batch was done"
        with sock, sock.makefile("rwb") as stream:
            try:
                protocol.write_frame(stream, grade_request(config, jobs, workers))
                for reply in replies(stream):
                    op = reply.get("op")
                    if op == "refused":
                        why = f"the grading service refused the batch: {reply.get('reason')}"
                        break
                    if op == "end":
                        break
                    if op == "done":
                        index, result = self._done(reply, jobs, seen)
                        seen.add(index)
                        results.append(result)
                        if progress:
                            progress(jobs[index], result)
            except TimeoutError:
                why = f"no word from the grading service for {sock.gettimeout():g} s"
            except (OSError, protocol.ProtocolError, ResultError) as exc:
                why = f"the grading service's reply broke off ({exc})"
        return results, [j for i, j in enumerate(jobs) if i not in seen], why

    @staticmethod
    def _done(reply: dict, jobs, seen: set[int]) -> tuple[int, Result]:
        index = reply.get("job")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(jobs):
            raise ResultError(f"a reply names no job of the batch: {str(index)[:20]}")
        if index in seen:
            raise ResultError(f"job {index} was answered twice")
        result = Result.from_json(reply.get("result"))
        job = jobs[index]
        if (result.assignment, result.student) != (job.assignment, job.student):
            raise ResultError(f"job {index}'s result is another submission's")
        return index, result
