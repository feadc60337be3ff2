import sys

from lqmodel.cli import main

sys.exit(main())
