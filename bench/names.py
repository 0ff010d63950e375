"""The pages ``pages-load`` serves under load, by the names the results print: here, apart
from bench/pages.py, so that the command line can offer them without importing the renderer."""

PAGES = ("my training", "course module", "certificate verify", "team page (10 reports)",
         "HR dashboard")
PDF_CACHED = "certificate PDF, cached"
