"""Correct: another checkpoint layout (a list, no atomic rename), a for-loop trainer and an
f-string script builder."""

KIND = "correct"
CELLS = {
    "ckpt_impl": """
def save_checkpoint(path, model, optimizer, step, generator):
    torch.save([step, model.state_dict(), optimizer.state_dict(), generator.get_state()], path)


def load_checkpoint(path, model, optimizer, generator):
    step, m, o, g = torch.load(path, weights_only=False)
    model.load_state_dict(m)
    optimizer.load_state_dict(o)
    generator.set_state(g)
    return step


def train_resumable(model, optimizer, X, y, generator, total_steps, ckpt_path, every, max_steps=None):
    start = load_checkpoint(ckpt_path, model, optimizer, generator) if os.path.isfile(ckpt_path) else 0
    end = total_steps if max_steps is None else min(total_steps, start + max_steps)
    for step in range(start + 1, end + 1):
        train_step(model, optimizer, X, y, generator)
        if step % every == 0 or step == total_steps:
            save_checkpoint(ckpt_path, model, optimizer, step, generator)
    return max(start, end)
""",
    "script_impl": """
def sbatch_script(job):
    names = {"job_name": "job-name", "partition": "partition", "time": "time",
             "cpus_per_task": "cpus-per-task", "mem": "mem", "gpus": "gres", "array": "array",
             "output": "output", "error": "error"}
    out = "#!/bin/bash\\n"
    for key, name in names.items():
        if job.get(key) is None or (key == "gpus" and job[key] == 0):
            continue
        value = f"gpu:{job[key]}" if key == "gpus" else job[key]
        out += f"#SBATCH --{name}={value}\\n"
    out += "\\n"
    for line in job["command"]:
        out += line + "\\n"
    return out
""",
}
