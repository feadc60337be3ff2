import sys

from lqmodel.cli import console_main

sys.exit(console_main())
