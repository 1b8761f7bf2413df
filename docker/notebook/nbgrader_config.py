"""nbgrader settings shared by every container of the course (students and formgrader).

The exchange is the `exchange` volume, mounted at NBGRADER_EXCHANGE (nbgrader's own
default, /srv/nbgrader/exchange); the course id comes from NBGRADER_COURSE_ID.
"""

import os

c = get_config()  # noqa: F821
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
c.CourseDirectory.course_id = os.environ.get("NBGRADER_COURSE_ID", "dl101")
c.Exchange.assignment_dir = "."
if os.environ.get("NBGRADER_COURSE_ROOT"):
    # the formgrader container: the course folder in the grader account's home
    c.CourseDirectory.root = os.environ["NBGRADER_COURSE_ROOT"]
