"""Static checks of submitted source, in the trusted process (parsed, never executed)."""

from __future__ import annotations

import ast


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return None


class SourceCode:
    """The `source` fixture: the submission's code cells, parsed with `ast`."""

    def __init__(self, code: str):
        self.code = code
        try:
            self.tree: ast.Module | None = ast.parse(code)
            self.syntax_error: str | None = None
        except SyntaxError as exc:
            self.tree = None
            self.syntax_error = f"line {exc.lineno}: {exc.msg}"

    def definition(self, name: str) -> ast.AST | None:
        """The last top-level `def`/`class` named `name` (the one a notebook ends up with)."""
        found = None
        for node in self.tree.body if self.tree else []:
            if (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and node.name == name
            ):
                found = node
        return found

    def calls_in(self, name: str) -> set[str]:
        """Dotted names called or referenced inside the definition of `name`."""
        node = self.definition(name)
        if node is None:
            return set()
        names: set[str] = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                dotted = _dotted(sub.func)
                if dotted:
                    names.add(dotted)
            elif isinstance(sub, ast.Attribute):
                dotted = _dotted(sub)
                if dotted:
                    names.add(dotted)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                names.add(f"'{sub.value}'")
        return names

    def uses_any(self, name: str, forbidden: set[str]) -> set[str]:
        """Which of the `forbidden` names (matched on their last dotted parts) `name` uses."""
        used = self.calls_in(name)
        hits = set()
        for f in forbidden:
            for u in used:
                u_clean = u.strip("'")
                if u_clean == f or u_clean.endswith("." + f) or u_clean == f.rsplit(".", 1)[-1]:
                    hits.add(f)
        return hits
