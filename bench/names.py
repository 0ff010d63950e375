"""The pages ``pages-load`` serves under load, by the names the results print: here, apart
from bench/pages.py, so that the command line can offer them without importing the renderer."""

MY_TRAINING = "my training"
MODULE = "course module"
VERIFY = "certificate verify"
TEAM = "team page (10 reports)"
DASHBOARD = "HR dashboard"
PAGES = (MY_TRAINING, MODULE, VERIFY, TEAM, DASHBOARD)
PDF_CACHED = "certificate PDF, cached"
