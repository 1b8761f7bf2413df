"""`dlgrade serve`: the course's warm grading service (`dlgrade.grading.service`)."""

from __future__ import annotations

from dlgrade.apps.base import DlGradeApp, base_aliases
from dlgrade.cluster.service import ServiceExecutor
from dlgrade.grading.autograder import Autograder
from dlgrade.grading.service import GradingService, Service


class ServeApp(DlGradeApp):
    """Keep the course's grading processes warm and grade the batches that clients with
    c.Autograder.executor = 'service' send; stops on SIGTERM or Ctrl-C."""

    name = "dlgrade-serve"
    aliases = {**base_aliases, "workers": "Autograder.workers"}

    def _classes_default(self):
        return [*super()._classes_default(), Autograder, GradingService, ServiceExecutor]

    def start(self) -> None:
        grader = self.autograder()
        path = GradingService(parent=self).socket_path(self.paths)
        workers = grader.worker_count()
        config = grader.course_config(self.paths)
        service = Service(config, self.paths, workers, path, self.log)
        try:
            service.start()
        except RuntimeError as exc:
            service.close()
            self.fail(str(exc))
        print(f"grading service ready at {path} ({workers} workers)", flush=True)
        service.serve_forever()
