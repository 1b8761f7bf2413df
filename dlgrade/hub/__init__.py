"""The course on a local JupyterHub: roster, Unix accounts, course copy, hub config."""
