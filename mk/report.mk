# Class reports, course overview and grade exports (dlgrade/report). Included by the Makefile.
.PHONY: report report-course report-courses report-browser test-report

report: setup ## Class report(s) + CSV exports under reports/ (COURSE=..., ASSIGNMENT=..., default: all + course overview)
	$(DLGRADE) report $(A_ARG)

report-course: setup ## Every assignment's report, the course overview and the course-wide exports
	$(DLGRADE) report $(C_ARG)

report-courses: setup ## Every course's reports and reports/courses.html, the overview across the courses
	$(DLGRADE) report --all-courses

report-browser: ## Install Debian's Chromium for the rendered-report tests (needs root)
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "install chromium as root: apt-get install -y chromium" >&2; exit 1; fi; \
	DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

test-report: setup report-browser ## Report tests, including the reports rendered in headless Chromium (screenshots in artifacts/report/)
	$(PY) -m pytest -q tests/report $(PYTEST_ARGS)
