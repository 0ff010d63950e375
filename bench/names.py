"""The pages ``pages-load`` serves under load (and its references), by the names the results
print: here, apart
from bench/pages.py, so that the command line can offer them without importing the renderer."""

MY_TRAINING = "my training"
MODULE = "course module"
VERIFY = "certificate verify"
TEAM = "team page (10 reports)"
DASHBOARD = "HR dashboard"
PAGES = (MY_TRAINING, MODULE, VERIFY, TEAM, DASHBOARD)
# Not pages: the reference endpoints of bench/probes.py, measured the same way, with no target.
SIGNED_IN = "signed in, nothing else"
LAYOUT = "signed in, the layout alone"
REFERENCES = (SIGNED_IN, LAYOUT)
PDF_CACHED = "certificate PDF, cached"
