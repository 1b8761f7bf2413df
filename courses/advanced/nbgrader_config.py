"""The advanced course (attention, diffusion, energy-based models, representation
learning): its own settings.

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

# The representation-learning competition (docs/COMPETITION.md; help: dlgrade.compete.rules).
c.CompetitionRules.database_url = "sqlite:///" + os.path.join(root, "competition.sqlite")
c.CompetitionRules.daily_cap = 5  # submissions per team per UTC day (rejected ones do not count)
c.CompetitionRules.total_cap = 40  # submissions per team over the competition
c.CompetitionRules.public_fraction = 0.3  # as cut in graders/represent/competition.json
c.CompetitionRules.max_final_selections = 2  # default: the team's best public ones
c.CompetitionRules.deadline = ""  # ISO-8601 UTC, e.g. "2027-01-31T23:59:00Z"; "" = none
c.CompetitionRules.freeze_hours = 24.0  # the board frozen the last hours before the deadline
c.CompetitionRules.max_team_size = 2
# The Ladder: a public score shows only when it beats the team's shown best by more than
# the margin. ~1200 public examples: std error of an accuracy near 0.8 ≈ 0.012.
c.CompetitionRules.ladder_margin = 0.01
c.CompetitionRules.score_decimals = 2
# Extra credit of "represent" by final private rank: [top fraction, points]; a floor for
# beating every baseline but the supervised (upper reference) one.
c.CompetitionRules.bonus_bands = [[0.1, 5.0], [0.25, 3.0], [0.5, 2.0]]
c.CompetitionRules.bonus_floor = 1.0
c.CompetitionRules.bands_require_baselines = True
c.CompetitionRules.reference_baselines = ["supervised encoder"]
