"""Jupyter Server settings of the students' and the formgrader's containers."""

import os

c = get_config()  # noqa: F821
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.port = 8888
c.ServerApp.root_dir = os.path.expanduser("~")  # set by the entry point (the user's home)
c.ServerApp.terminals_enabled = True
# the hub's idle culler ends idle servers; the kernels inside follow the same rule
c.MappingKernelManager.cull_idle_timeout = 3600
c.MappingKernelManager.cull_interval = 300
