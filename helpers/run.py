"""`python -m helpers.run`: the batch runner's command line (`helpers.pipeline.run.main`).

A command with nothing to do since its last run is answered before the runner's imports
(`helpers.pipeline.quick`, about 0.1 s).
"""

import sys

if __name__ == "__main__":
    from helpers.pipeline.quick import answer

    if (code := answer(sys.argv[1:])) is not None:
        raise SystemExit(code)

    from helpers.pipeline.run import main

    raise SystemExit(main())
