"""nbgrader settings shared by every container of the courses (students and formgraders).

The exchange is the `exchange` volume, mounted at NBGRADER_EXCHANGE (nbgrader's own
default, /srv/nbgrader/exchange), with a folder per course. A formgrader's container pins
its course (NBGRADER_COURSE_ID, NBGRADER_COURSE_ROOT); a user's server pins none: the
courses a user takes or grades come from the hub's nbgrader-<course> and formgrade-<course>
groups (nbgrader's multi-course setup), and a fetched assignment goes to ~/<course>/<name>.
"""

import os

c = get_config()  # noqa: F821
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True
c.Exchange.assignment_dir = "."
c.ExchangeSubmit.add_random_string = True
if os.environ.get("NBGRADER_COURSE_ROOT"):
    # a formgrader's container: the course folder in the grader account's home
    c.CourseDirectory.course_id = os.environ["NBGRADER_COURSE_ID"]
    c.CourseDirectory.root = os.environ["NBGRADER_COURSE_ROOT"]
else:
    c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
