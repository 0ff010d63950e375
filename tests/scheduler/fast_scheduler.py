"""``flask --app lms scheduler run`` with every job's schedule shortened to each second, so a
test can watch two scheduler processes through many cycles in a few seconds."""

import logging
import sys
from dataclasses import replace

from flask.cli import main

from lms.scheduler import registry

registry.JOBS = tuple(replace(job, schedule=registry.Every(1)) for job in registry.JOBS)

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s: %(message)s")
    logging.getLogger("lms.scheduler.runner").setLevel(logging.DEBUG)  # show skipped slots
    sys.argv = ["flask", "--app", "lms", "scheduler", "run"]
    main()
