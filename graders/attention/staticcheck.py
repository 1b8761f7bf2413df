"""Which torch attention primitives a submitted definition reaches (parsed, never run)."""

from __future__ import annotations

import ast

FORBIDDEN_PARTS = ("scaled_dot_product", "multi_head_attention", "multiheadattention")


def _forbidden(name: str) -> bool:
    low = name.lower()
    return any(part in low for part in FORBIDDEN_PARTS)


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _index(tree: ast.Module) -> tuple[dict[str, list[ast.AST]], dict[str, str]]:
    """Top-level definitions/assignments by name, and import aliases to dotted targets."""
    top: dict[str, list[ast.AST]] = {}
    imported: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            top.setdefault(node.name, []).append(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        top.setdefault(n.id, []).append(node)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imported[alias.asname or alias.name] = f"{node.module or ''}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imported[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    imported[head] = head
    return top, imported


def _string_lookups(node: ast.AST) -> list[str]:
    """Strings used to look attributes up: getattr(x, "..."), x.__dict__["..."]."""
    out = []
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in ("getattr", "__getattribute__", "__getattr__", "get", "eval", "exec"):
            out += [
                a.value
                for a in node.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
    elif isinstance(node, ast.Subscript):
        sl = node.slice
        if isinstance(sl, ast.Constant) and isinstance(sl.value, str):
            out.append(sl.value)
    return out


def _local_names(node: ast.AST) -> set[str]:
    """Names bound inside the functions of `node` (arguments, assignments, loop, with and
    comprehension targets, nested definitions, imports), less those declared global: a
    load of one of them is the local, not the top-level name it shadows."""
    local: set[str] = set()
    declared_global: set[str] = set()
    for scope in ast.walk(node):
        if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        a = scope.args
        local |= {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x}
        for sub in ast.walk(scope):
            if sub is scope:
                continue
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                local.add(sub.id)
            elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                local.add(sub.name)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                local |= {(x.asname or x.name).split(".")[0] for x in sub.names}
            elif isinstance(sub, ast.ExceptHandler) and sub.name:
                local.add(sub.name)
            elif isinstance(sub, ast.Global):
                declared_global |= set(sub.names)
    return local - declared_global


def builtin_attention_used(source, name: str, skip: tuple[str, ...] = ()) -> set[str]:
    """Torch attention primitives reachable from the top-level definition(s) of `name`.

    Follows the submission's own top-level functions, classes and assignments (except
    those named in `skip`), and resolves import aliases, so
    ``from torch.nn.functional import scaled_dot_product_attention as f`` is caught while a
    student's own function called ``scaled_dot_product_attention`` is not.
    """
    tree = getattr(source, "tree", None)
    if tree is None:
        return set()
    top, imported = _index(tree)

    def torch_alias(root: str | None) -> bool:
        return root is not None and imported.get(root, "").split(".")[0] == "torch"

    found: set[str] = set()
    seen: set[str] = set(skip)
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for node in top.get(current, []):
            local = _local_names(node)
            for sub in ast.walk(node):
                if isinstance(sub, ast.Attribute) and _forbidden(sub.attr):
                    if torch_alias(_root(sub)) or _root(sub) not in top and _root(sub) != "self":
                        found.add(sub.attr)
                elif isinstance(sub, ast.ImportFrom) and (sub.module or "").startswith("torch"):
                    found |= {a.name for a in sub.names if _forbidden(a.name)}
                elif isinstance(sub, ast.Name):
                    target = imported.get(sub.id, "")
                    if _forbidden(target.rsplit(".", 1)[-1]) and target.startswith("torch"):
                        found.add(target.rsplit(".", 1)[-1])
                    elif (
                        isinstance(sub.ctx, ast.Load)
                        and sub.id in top
                        and sub.id != current
                        and sub.id not in local
                    ):
                        todo.append(sub.id)
                for text in _string_lookups(sub):
                    if _forbidden(text):
                        found.add(text)
    return found
