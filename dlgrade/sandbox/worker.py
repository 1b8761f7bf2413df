"""The process that runs student code. It lives inside the sandbox and is untrusted.

It executes the submission's cells in an IPython shell, then answers requests from the
grader (call a function, read an attribute) with plain data. It never sees a grader,
an expected value or a score; anything it sends is only ever *data* to be judged.
"""

from __future__ import annotations

import os
import sys
import traceback
import types
from typing import Any

from dlgrade.sandbox import protocol
from dlgrade.sandbox.protocol import Decoder, Handle, Ref

OUTPUT_LIMIT = 20_000


def _seed_everything(seed: int) -> None:
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    if "torch" in sys.modules:
        seed_torch(sys.modules["torch"], seed)


def warm_torch(torch) -> None:
    """What a first optimizer step imports (torch._dynamo: 800 modules, over a second),
    imported now by the sandbox template, not again by every submission that trains."""
    param = torch.zeros(1, requires_grad=True)
    param.grad = torch.zeros(1)
    torch.optim.Adam([param]).step()


def seed_torch(torch, seed: int) -> None:
    """`torch.manual_seed` for the CPU and, when present, CUDA: torch.manual_seed also
    queues a lazy seed, with a formatted stack, for every device type it knows (about
    0.5 ms a call, and a grading makes hundreds of them)."""
    torch.random.default_generator.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def _clip(text: str, limit: int = OUTPUT_LIMIT) -> str:
    return (
        text if len(text) <= limit else text[:limit] + f"\n… [{len(text) - limit} characters cut]"
    )


def describe_exception(exc: BaseException) -> dict:
    """Type, message and the innermost frame of student code, as plain strings.

    Only a report: the grader decides what of it, if anything, a student may see."""
    name = type(exc).__name__
    frames = traceback.extract_tb(exc.__traceback__)
    student = [f for f in frames if f.filename.startswith("<")]
    where = ""
    if student:
        f = student[-1]
        where = f"in {f.name}, line {f.lineno}"
    return {
        "type": _clip(name, 100),
        "message": _clip(str(exc), 2000) if _safe_str(exc) else "",
        "where": where,
    }


def _safe_str(exc: BaseException) -> bool:
    try:
        str(exc)
        return True
    except Exception:
        return False


class Worker:
    """Executes cells, then serves requests. One instance per sandbox process."""

    def __init__(self, proto_in, proto_out):
        self.proto_in = proto_in
        self.proto_out = proto_out
        self.handles: dict[int, Any] = {}
        self.next_handle = 1
        self.shell = None
        self.namespace: dict = {}
        self.helpers = types.ModuleType("sandbox_helpers")
        from dlgrade.sandbox import builtins as sandbox_builtins

        self.builtins = sandbox_builtins

    # -- values -------------------------------------------------------------------
    def make_handle(self, obj: Any) -> Handle:
        hid = self.next_handle
        self.next_handle += 1
        self.handles[hid] = obj
        return Handle(hid, type(obj).__name__)

    def resolve(self, ref: Ref | Handle) -> Any:
        if isinstance(ref, Handle):
            if ref.id not in self.handles:
                raise LookupError("this object no longer exists in the sandbox")
            return self.handles[ref.id]
        root = ref.root
        path = list(ref.path)
        if isinstance(root, int):
            obj = self.resolve(Handle(root))
        elif root == "ns":
            if not path:
                raise LookupError("empty reference")
            name = path.pop(0)
            if name not in self.namespace:
                raise NameError(f"name '{name}' is not defined in the notebook")
            obj = self.namespace[name]
        elif root == "helpers":
            obj = self.helpers
        elif root == "builtins":
            obj = self.builtins
        else:
            raise LookupError(f"unknown root {root!r}")
        for attr in path:
            obj = getattr(obj, attr)
        return obj

    def send(self, header: dict, values: dict | None = None) -> None:
        header, blobs = protocol.pack(header, values or {}, self.make_handle)
        protocol.write_frame(self.proto_out, header, blobs)

    # -- notebook -------------------------------------------------------------------
    def run_cells(self, cells: list[dict]) -> None:
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.utils.capture import capture_output

        self.shell = InteractiveShell.instance(colors="nocolor")
        self.namespace = self.shell.user_ns
        for cell in cells:
            index = int(cell["index"])
            self.send({"event": "cell_start", "index": index})
            error = None
            with capture_output(display=True) as cap:
                try:
                    result = self.shell.run_cell(cell["source"], store_history=False, silent=False)
                    exc = result.error_in_exec or result.error_before_exec
                    if exc is not None:
                        error = describe_exception(exc)
                except BaseException as exc:  # noqa: BLE001 - student code may raise anything
                    error = describe_exception(exc)
            outputs = self._outputs(cap)
            self.send({"event": "cell_done", "index": index, "outputs": outputs, "error": error})

    def _outputs(self, cap) -> list[dict]:
        outputs: list[dict] = []
        try:
            if cap.stdout:
                outputs.append(
                    {"output_type": "stream", "name": "stdout", "text": _clip(cap.stdout)}
                )
            if cap.stderr:
                outputs.append(
                    {"output_type": "stream", "name": "stderr", "text": _clip(cap.stderr)}
                )
            for out in cap.outputs[:20]:
                data = {
                    k: _clip(v) if isinstance(v, str) else ""
                    for k, v in (out.data or {}).items()
                    if k
                    in ("text/plain", "text/html", "image/png", "image/svg+xml", "text/markdown")
                }
                outputs.append({"output_type": "display_data", "data": data, "metadata": {}})
        except Exception:
            outputs.append({"output_type": "stream", "name": "stderr", "text": "[output lost]"})
        return outputs

    def load_helpers(self, source: str) -> None:
        self.helpers.__dict__["student_ns"] = self.namespace
        if source:
            code = compile(source, "sandbox_helpers.py", "exec")
            exec(code, self.helpers.__dict__)

    # -- requests -------------------------------------------------------------------
    def serve(self) -> None:
        while True:
            try:
                header, blobs = protocol.read_frame(self.proto_in)
            except EOFError:
                return
            op = header.get("op")
            if op == "bye":
                return
            reply_id = header.get("id")
            try:
                _seed_everything(int(header.get("seed", 0)))
                value = self.handle_request(op, header, blobs)
                self.send({"id": reply_id, "ok": True}, {"value": value})
            except BaseException as exc:  # noqa: BLE001 - includes SystemExit from students
                try:
                    self.send({"id": reply_id, "ok": False, "error": describe_exception(exc)})
                except protocol.ProtocolError:
                    self.send({"id": reply_id, "ok": False, "error": {"type": "ProtocolError"}})

    def handle_request(self, op: str, header: dict, blobs: list[bytes]) -> Any:
        dec = Decoder(blobs, self.resolve)
        target = dec.decode(header.get("target"))
        if op == "get":
            return target
        if op == "call":
            args = dec.decode(header.get("args", []))
            kwargs = dec.decode(header.get("kwargs", {"__dict__": {}}))
            if not callable(target):
                raise TypeError(f"{type(target).__name__} object is not callable")
            return target(*args, **kwargs)
        if op == "set":
            ref = Decoder(blobs).decode(header.get("target"))
            if not isinstance(ref, Ref) or not ref.path:
                raise LookupError("set needs an attribute reference")
            value = dec.decode(header.get("value"))
            if ref.root == "ns" and len(ref.path) == 1:
                self.namespace[ref.path[0]] = value
            else:
                setattr(self.resolve(Ref(ref.root, ref.path[:-1])), ref.path[-1], value)
            return None
        raise LookupError(f"unknown operation {op!r}")


def redirect_std_streams() -> tuple[Any, Any]:
    """Keep fds 0/1 for the protocol; the student's own output goes to files."""
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    for fd, name in ((1, "stdout.txt"), (2, "stderr.txt")):
        try:
            out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError:
            out = os.open(os.devnull, os.O_WRONLY)
        os.dup2(out, fd)
        os.close(out)
    os.close(devnull)
    return proto_in, proto_out


def serve_forever(proto_in, proto_out) -> None:
    """The whole life of a sandbox: init frame, cells, then requests until 'bye'."""
    header, blobs = protocol.read_frame(proto_in)
    if header.get("op") != "init":
        return
    import torch

    torch.set_num_threads(int(header.get("threads", 1)))
    _seed_everything(int(header.get("seed", 0)))
    worker = Worker(proto_in, proto_out)
    worker.run_cells(header.get("cells", []))
    try:
        worker.load_helpers(header.get("helpers", ""))
    except BaseException as exc:  # noqa: BLE001
        worker.send({"event": "helpers_failed", "error": describe_exception(exc)})
    worker.send({"event": "ready"})
    worker.serve()


def main() -> None:
    proto_in, proto_out = redirect_std_streams()
    try:
        serve_forever(proto_in, proto_out)
    finally:
        try:
            proto_out.flush()
        except Exception:
            pass
        os._exit(0)


if __name__ == "__main__":
    main()
