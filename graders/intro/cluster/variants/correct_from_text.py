"""Correct: written from the task text alone (regexes, divmod for the grid, groupby ranges)."""

KIND = "correct"
CELLS = {
    "parse_impl": """
SHORT_OPTIONS = {
    "J": "job-name",
    "p": "partition",
    "t": "time",
    "c": "cpus-per-task",
    "o": "output",
    "e": "error",
    "a": "array",
    "G": "gpus",
    "N": "nodes",
    "n": "ntasks",
}


def parse_sbatch_directives(text):
    found = {}
    lines = text.splitlines()
    if lines and lines[0].startswith("#!"):
        lines = lines[1:]
    for line in lines:
        if line.strip() == "":
            continue
        if not line.lstrip().startswith("#"):
            break
        m = re.match(r"#SBATCH\\s(.*)$", line)
        if m is None:
            continue
        words = m.group(1).split()
        cut = next((i for i, w in enumerate(words) if w[0] == "#"), len(words))
        words = words[:cut]
        k = 0
        while k < len(words):
            w = words[k]
            if w.startswith("--"):
                if "=" in w:
                    name, value = w[2:].split("=", 1)
                elif k + 1 < len(words) and not words[k + 1].startswith("-"):
                    name, value = w[2:], words[k + 1]
                    k += 1
                else:
                    name, value = w[2:], ""
                found[name] = value
            elif len(w) >= 2 and w[0] == "-" and w[1] in SHORT_OPTIONS:
                if len(w) > 2:
                    found[SHORT_OPTIONS[w[1]]] = w[2:]
                elif k + 1 < len(words):
                    found[SHORT_OPTIONS[w[1]]] = words[k + 1]
                    k += 1
                else:
                    found[SHORT_OPTIONS[w[1]]] = ""
            k += 1
    return found
""",
    "time_impl": """
def parse_time(spec):
    s = spec.strip()
    m = re.fullmatch(r"(\\d+)-(\\d+)(?::(\\d+))?(?::(\\d+))?", s)
    if m:
        d, h, mi, se = (int(g) if g else 0 for g in m.groups())
        return d * 86400 + h * 3600 + mi * 60 + se
    m = re.fullmatch(r"(\\d+)(?::(\\d+))?(?::(\\d+))?", s)
    if not m:
        raise ValueError(spec)
    nums = [int(g) for g in m.groups() if g is not None]
    if len(nums) == 1:
        return nums[0] * 60
    if len(nums) == 2:
        return nums[0] * 60 + nums[1]
    return nums[0] * 3600 + nums[1] * 60 + nums[2]
""",
    "array_impl": """
def array_task_params(task_id, grid):
    t = int(task_id)
    sizes = [len(v) for v in grid.values()]
    total = 1
    for s in sizes:
        total *= s
    if t < 0 or t >= total:
        raise ValueError("task id out of range")
    idx = []
    for s in reversed(sizes):
        t, r = divmod(t, s)
        idx.append(r)
    idx.reverse()
    return {k: grid[k][i] for k, i in zip(grid, idx)}


def array_spec(n_tasks, max_parallel=None):
    if n_tasks < 1 or (max_parallel is not None and max_parallel < 1):
        raise ValueError("bad array")
    out = str(n_tasks - 1) if n_tasks == 1 else "0-" + str(n_tasks - 1)
    return out if max_parallel is None else out + "%" + str(max_parallel)
""",
    "collect_impl": """
def _good(rec):
    if type(rec) is not dict:
        return False
    for key, typ in RESULT_FIELDS.items():
        v = rec.get(key, None)
        if key not in rec or type(v) is bool:
            return False
        if typ is float:
            if type(v) not in (int, float) or v != v or v in (float("inf"), float("-inf")):
                return False
        elif not isinstance(v, typ):
            return False
    return rec["task_id"] >= 0


def collect_results(folder):
    out = []
    for p in Path(folder).iterdir():
        if p.suffix != ".json" or not p.is_file():
            continue
        try:
            with open(p, encoding="utf-8") as f:
                rec = json.load(f)
        except Exception:
            continue
        if _good(rec):
            out.append(rec)
    out.sort(key=lambda r: r["task_id"])
    return out


def best_run(results, metric, mode="max"):
    if mode not in ("max", "min") or len(results) == 0:
        raise ValueError("bad arguments")
    ordered = sorted(results, key=lambda r: r["task_id"])
    best = ordered[0]
    for r in ordered[1:]:
        if (mode == "max" and r[metric] > best[metric]) or (mode == "min" and r[metric] < best[metric]):
            best = r
    return best


def missing_tasks(results, n_tasks):
    have = set(r["task_id"] for r in results)
    return sorted(set(range(n_tasks)) - have)


def resubmit_spec(task_ids, max_parallel=None):
    ids = sorted(set(task_ids))
    if not ids:
        raise ValueError("empty")
    groups = [list(g) for _, g in itertools.groupby(ids, key=lambda t, c=itertools.count(): t - next(c))]
    text = ",".join(f"{g[0]}-{g[-1]}" if len(g) > 1 else str(g[0]) for g in groups)
    return text + (f"%{max_parallel}" if max_parallel is not None else "")
""",
}
