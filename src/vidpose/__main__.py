import sys

from vidpose.cli import main

sys.exit(main())
