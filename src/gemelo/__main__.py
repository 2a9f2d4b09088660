import sys

from gemelo.cli import main

sys.exit(main())
