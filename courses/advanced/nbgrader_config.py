"""The advanced course (attention, diffusion, energy-based models): its own settings.

Every course's file sets the same traits, so loading one after another switches course."""

import os

c = get_config()  # noqa: F821
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

c.CourseDirectory.course_id = "dl-advanced"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(root, "gradebook.db")
c.CoursePaths.graders_directory = "graders"
c.CoursePaths.reports_directory = "reports"
