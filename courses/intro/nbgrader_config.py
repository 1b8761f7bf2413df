"""The introductory course "Deep Learning Notebooks" (hands-on #1-#9): its own settings.

Its folders sit one level below the top-level ones: source/intro/<assignment>, ...
Every course's file sets the same traits, so loading one after another switches course."""

import os

c = get_config()  # noqa: F821
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
course = "intro"

c.CourseDirectory.course_id = "dl-intro"
c.CourseDirectory.source_directory = os.path.join("source", course)
c.CourseDirectory.release_directory = os.path.join("release", course)
c.CourseDirectory.submitted_directory = os.path.join("submitted", course)
c.CourseDirectory.autograded_directory = os.path.join("autograded", course)
c.CourseDirectory.feedback_directory = os.path.join("feedback", course)
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(root, f"gradebook-{course}.db")
c.CoursePaths.graders_directory = os.path.join("graders", course)
c.CoursePaths.reports_directory = os.path.join("reports", course)
