"""Correct: a token-stream parser (iterator), parse_time by splitting from the right, and a
product-index array lookup without materialising the grid."""

KIND = "correct"
REPLACE = [
    (
        "array_impl",
        '    points = list(itertools.product(*(grid[k] for k in keys)))\n    if not 0 <= task < len(points):\n        raise ValueError(f"task {task_id} is not in 0..{len(points) - 1}")\n    return dict(zip(keys, points[task]))',
        "    n = math.prod(len(grid[k]) for k in keys)\n    if task < 0 or task >= n:\n        raise ValueError(task_id)\n    return dict(zip(keys, next(itertools.islice(itertools.product(*(grid[k] for k in keys)), task, None))))",
    ),
]
CELLS = {
    "time_impl": """
def parse_time(spec):
    s = spec.strip()
    if s.count("-") > 1:
        raise ValueError(spec)
    days, _, clock = s.rpartition("-") if "-" in s else ("0", "", s)
    fields = clock.split(":")
    if not all(f.isascii() and f.isdigit() for f in fields + [days]) or len(fields) > 3:
        raise ValueError(spec)
    nums = [int(f) for f in fields]
    if "-" in s:
        h, m, sec = (nums + [0, 0])[:3]
    elif len(nums) == 3:
        h, m, sec = nums
    else:
        h, m, sec = 0, nums[0], (nums[1] if len(nums) == 2 else 0)
    return int(days) * 86400 + h * 3600 + m * 60 + sec
""",
}
